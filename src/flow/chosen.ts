/**
 * What the flow chose for the answer input, the submit and the refresh, and why: reported as `result.chosen` and
 * on every error raised after the captcha was located (`err.chosen`).
 */
import type { ChosenControl, ChosenControls } from '../core/errors.js';
import type { Located } from '../locate/index.js';
import type { SolveImageCaptchaOptions } from './options.js';

type Opts = Pick<SolveImageCaptchaOptions, 'input' | 'submit' | 'refresh'>;

function fromOption(name: string, value: string | false, method?: string): ChosenControl {
  if (value === false) return { method: 'none', reasons: [`\`${name}: false\``] };
  return method ? { method, reasons: [`\`${name}: '${value}'\``] } : { selector: value, method: 'option', reasons: [`named by the \`${name}\` option`] };
}

function fromScan(ref: { selector?: string; method?: string; reasons?: string[] } | undefined, none: string): ChosenControl {
  if (!ref) return { method: 'none', reasons: [none] };
  return { ...(ref.selector ? { selector: ref.selector } : {}), ...(ref.method ? { method: ref.method } : {}), reasons: [...(ref.reasons ?? [])] };
}

export function chosenControls(c: Located, o: Opts): ChosenControls {
  return {
    input: o.input ? fromOption('input', o.input) : fromScan(c.input, 'no answer input found next to the captcha'),
    submit: o.submit !== undefined ? fromOption('submit', o.submit, o.submit === 'enter' ? 'enter' : undefined) : fromScan(c.submit, 'no submit control found'),
    refresh:
      o.refresh !== undefined ? fromOption('refresh', o.refresh, o.refresh === 'click-image' ? 'click-image' : undefined) : fromScan(c.refresh, 'no refresh control and the image is not clickable'),
  };
}

/** One line for the call log: `input #code (follows the image on its row, …); submit …; refresh …`. */
export function describeChosen(chosen: ChosenControls): string {
  return (['input', 'submit', 'refresh'] as const)
    .map((role) => {
      const c = chosen[role];
      return c ? `${role} ${c.selector ?? c.method ?? 'none'} (${c.reasons.join(', ')})` : `${role} none`;
    })
    .join('; ');
}
