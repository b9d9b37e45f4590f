/** Issue 30: `result.chosen` / `err.chosen` — what the flow chose for the answer input, submit and refresh, and why. */
import { describe, expect, it } from 'vitest';
import { chosenControls, describeChosen } from '../../src/flow/chosen.js';
import type { Located } from '../../src/locate/index.js';

const located = {
  input: { handle: '[data-ics~="s1i0"]', selector: 'input[name="code"]', reasons: ['follows the image on its row', '2 DOM hops from the image'] },
  submit: { method: 'click', handle: '[data-ics~="s1s1"]', selector: '#gonder', reasons: ['a link styled as a button, with a submit verb ("Gönder")'], text: 'Gönder' },
  refresh: { method: 'click-image', reasons: ['the image is clickable (onclick / cursor:pointer)'] },
} as unknown as Located;

describe('chosenControls', () => {
  it('reports what the scan chose, with its reasons and never the internal handles', () => {
    const chosen = chosenControls(located, {});
    expect(chosen).toEqual({
      input: { selector: 'input[name="code"]', reasons: ['follows the image on its row', '2 DOM hops from the image'] },
      submit: { selector: '#gonder', method: 'click', reasons: ['a link styled as a button, with a submit verb ("Gönder")'] },
      refresh: { method: 'click-image', reasons: ['the image is clickable (onclick / cursor:pointer)'] },
    });
    expect(JSON.stringify(chosen)).not.toContain('data-ics');
  });

  it('options win over the scan and say so', () => {
    const chosen = chosenControls(located, { input: '#answer', submit: 'enter', refresh: false });
    expect(chosen.input).toEqual({ selector: '#answer', method: 'option', reasons: ['named by the `input` option'] });
    expect(chosen.submit).toEqual({ method: 'enter', reasons: ["`submit: 'enter'`"] });
    expect(chosen.refresh).toEqual({ method: 'none', reasons: ['`refresh: false`'] });
  });

  it('says when nothing was found', () => {
    const chosen = chosenControls({} as Located, {});
    expect(chosen.input).toEqual({ method: 'none', reasons: ['no answer input found next to the captcha'] });
    expect(describeChosen(chosen)).toBe('input none (no answer input found next to the captcha); submit none (no submit control found); refresh none (no refresh control and the image is not clickable)');
  });

  it('one log line names each control and why', () => {
    expect(describeChosen(chosenControls(located, {}))).toBe(
      'input input[name="code"] (follows the image on its row, 2 DOM hops from the image); submit #gonder (a link styled as a button, with a submit verb ("Gönder")); refresh click-image (the image is clickable (onclick / cursor:pointer))',
    );
  });
});
