/**
 * Issue 30 over BOTH adapters: hand-written forms (fixtures/site/pages/forms.ts) where the page fills a user name,
 * password, e-mail, phone or search box before the captcha, and forms whose only submit is a link or a styled div
 * in Turkish, Russian, Spanish and Chinese (one with no charset). The SERVER checks the answer field and that every
 * field the page filled arrived unchanged; the field guard checks no other field was typed into. Plus the guarantees
 * around them: an ambiguous input stops before typing, a page-set value is never overwritten, typing that spills into
 * another field is undone and fails, and a submit that sends nothing is a SubmitError, not `solved: true`.
 */
import { describe, expect, it } from 'vitest';
import { createFixtureSolver } from '../../fixtures/site/index.js';
import { solveImageCaptcha, attachImageRecorder, type CaptchaResult } from '../../src/flow/index.js';
import { CaptchaNotFoundError, InputAmbiguousError, InputTypingError, SubmitError } from '../../src/core/errors.js';
import { ADAPTERS, type HarnessPage } from '../support/browsers.js';
import { guardFields, useFixtureBrowser } from '../support/e2e.js';

const FORMS = ['/forms/inline', '/forms/table', '/forms/div', '/forms/link-es', '/forms/nocharset'];
/** Pages whose only submit is a link or a styled div, with the words on it. */
const STYLED_SUBMIT: Record<string, RegExp> = { '/forms/table': /Gönder/, '/forms/div': /Войти/, '/forms/link-es': /Enviar/, '/forms/nocharset': /登录/ };

for (const adapter of ADAPTERS) {
  describe(`hand-written forms over ${adapter} (issue 30)`, () => {
    const env = useFixtureBrowser(adapter);

    /** A fresh site state and a page at `path` (recorder attached), closed after `fn`. */
    async function onForm(path: string, fn: (hp: HarnessPage) => Promise<void>): Promise<void> {
      env.server.reset();
      const hp = await env.browser.newPage();
      try {
        attachImageRecorder(hp.page);
        await hp.goto(env.server.url + path);
        await fn(hp);
      } finally {
        await hp.close();
      }
    }

    const reasons = (path: string) => env.server.stats().submissions.filter((s) => s.page === path).map((s) => s.reason);

    for (const path of FORMS) {
      it(`${path}: the answer goes into the answer field, every other field arrives as the page set it`, async () => {
        const info = env.server.page(path);
        await onForm(path, async (hp) => {
          const guard = await guardFields(hp, info.selectors.input);
          const r: CaptchaResult = await solveImageCaptcha(hp.page, { solver: createFixtureSolver(env.server), timeout: 30_000 });
          expect([r.solved, r.verified, r.attempts], r.verification).toEqual([true, true, 1]);
          expect(reasons(path)).toEqual(['ok']); // 'fields' if a prefilled field had been typed into
          await guard.expectUntouched();
          expect(r.chosen.input?.reasons.join(' ')).toMatch(/follows the image/);
          if (STYLED_SUBMIT[path]) {
            expect(r.chosen.submit?.method).toBe('click');
            expect(r.chosen.submit?.reasons.join(' ')).toMatch(STYLED_SUBMIT[path]!);
          }
          expect(r.chosen.refresh).toEqual({ method: 'none', reasons: ['no refresh control and the image is not clickable'] });
        });
      }, 45_000);

      it(`${path}: a wrong first answer, then the right one, neither touching another field`, async () => {
        const info = env.server.page(path);
        await onForm(path, async (hp) => {
          const guard = await guardFields(hp, info.selectors.input);
          const r = await solveImageCaptcha(hp.page, { solver: createFixtureSolver(env.server, { wrongFirst: 1 }), timeout: 30_000 });
          expect([r.solved, r.verified, r.attempts], r.verification).toEqual([true, true, 2]);
          expect(reasons(path)).toEqual(['wrong', 'ok']);
          await guard.expectUntouched();
        });
      }, 45_000);
    }

    it('a form that writes the rejected answer back into its field (?sticky=1): that field is still the answer input', async () => {
      await onForm('/forms/inline?sticky=1', async (hp) => {
        const guard = await guardFields(hp, 'input[name="code"]');
        const solver = createFixtureSolver(env.server, { wrongFirst: 1 });
        const r = await solveImageCaptcha(hp.page, { solver, timeout: 30_000 });
        expect([r.solved, r.verified, r.attempts], r.verification).toEqual([true, true, 2]);
        expect(reasons('/forms/inline')).toEqual(['wrong', 'ok']);
        await guard.expectUntouched();
      });
    }, 45_000);

    it('the field guard itself fails on a field typed into, also after the form was posted', async () => {
      await onForm('/forms/inline', async (hp) => {
        const guard = await guardFields(hp, 'input[name="code"]');
        await hp.fill('input[name="code"]', 'abc'); // the answer input: allowed
        expect(await guard.violations()).toEqual([]);
        await hp.evaluate(() => {
          (document.querySelector('input[name="p"]') as HTMLInputElement).value = 'changed by script';
        });
        await hp.fill('input[name="u"]', 'x');
        const violations = await guard.violations();
        expect(violations.some((v) => v.startsWith('input[name="u"] was typed into'))).toBe(true);
        expect(violations.some((v) => v.startsWith('input[name="p"] (field 1) changed value'))).toBe(true);
        await Promise.all([hp.page.waitForNavigation(), hp.evaluate(() => (document.querySelector('form') as HTMLFormElement).submit())]);
        expect((await guard.violations()).some((v) => v.startsWith('input[name="u"] was typed into'))).toBe(true);
      });
    }, 45_000);

    it('no charset and a Chinese placeholder: the words are read decoded (验证码, 登录), not as mojibake', async () => {
      await onForm('/forms/nocharset', async (hp) => {
        const placeholder = await hp.evaluate(() => document.querySelector('input[name="f4"]')!.getAttribute('placeholder'));
        expect(placeholder).not.toBe('验证码'); // the browser itself shows mojibake: the page really has no charset
        const r = await solveImageCaptcha(hp.page, { solver: createFixtureSolver(env.server), timeout: 30_000 });
        expect(r.verified).toBe(true);
        expect(r.chosen.input?.reasons.join(' ')).toContain('验证码');
        expect(r.chosen.submit?.reasons.join(' ')).toContain('登录');
      });
    }, 45_000);

    it('two inputs equally likely: InputAmbiguousError before the solve, listing both and naming the `input` option', async () => {
      await onForm('/forms/inline', async (hp) => {
        await hp.evaluate(() => document.querySelector('input[name="code"]')!.insertAdjacentHTML('afterend', ' <input name="code2">'));
        const guard = await guardFields(hp, '#none');
        const solver = createFixtureSolver(env.server);
        const err = await solveImageCaptcha(hp.page, { solver, timeout: 30_000 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InputAmbiguousError);
        expect((err as InputAmbiguousError).code).toBe('ICS_ERR_INPUT_AMBIGUOUS');
        expect((err as InputAmbiguousError).candidates.map((c) => c.selector).sort()).toEqual(['input[name="code"]', 'input[name="code2"]']);
        expect((err as Error).message).toMatch(/nothing was typed.*Name the answer input with the `input` option/s);
        expect((err as InputAmbiguousError).chosen?.input?.selector).toBeDefined();
        expect(solver.calls).toHaveLength(0); // stopped before paying for a solve
        await guard.expectUntouched(); // nothing typed anywhere
        // named, it is solved
        const r = await solveImageCaptcha(hp.page, { solver, input: 'input[name="code"]', timeout: 30_000 });
        expect(r.verified).toBe(true);
        expect(r.chosen.input).toEqual({ selector: 'input[name="code"]', method: 'option', reasons: ['named by the `input` option'] });
        expect(reasons('/forms/inline')).toEqual(['ok']);
      });
    }, 45_000);

    it('never overwrites: with every input near the image holding a page-set value, nothing is typed', async () => {
      await onForm('/forms/inline', async (hp) => {
        await hp.evaluate(() => {
          (document.querySelector('input[name="code"]') as HTMLInputElement).value = 'xyz';
        });
        const guard = await guardFields(hp, '#none');
        const solver = createFixtureSolver(env.server);
        const err = await solveImageCaptcha(hp.page, { solver, timeout: 30_000 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CaptchaNotFoundError);
        expect((err as Error).message).toMatch(/no answer input next to it/);
        expect(solver.calls).toHaveLength(0);
        await guard.expectUntouched();
        expect(await hp.evaluate(() => (document.querySelector('input[name="u"]') as HTMLInputElement).value)).toBe('alice');
      });
    }, 45_000);

    it('a page-set value in an input with captcha words is replaced (strong signals)', async () => {
      await onForm('/forms/inline', async (hp) => {
        await hp.evaluate(() => {
          const code = document.querySelector('input[name="code"]') as HTMLInputElement;
          code.value = 'type here';
          code.placeholder = 'Captcha';
        });
        const guard = await guardFields(hp, 'input[name="code"]');
        const r = await solveImageCaptcha(hp.page, { solver: createFixtureSolver(env.server), timeout: 30_000 });
        expect(r.verified).toBe(true);
        expect(reasons('/forms/inline')).toEqual(['ok']);
        await guard.expectUntouched();
      });
    }, 45_000);

    it('typing that spills into another field: that field is restored and InputTypingError thrown, nothing submitted', async () => {
      await onForm('/forms/inline', async (hp) => {
        // the page moves the focus to the user name after the first key
        await hp.evaluate(() => {
          const u = document.querySelector('input[name="u"]') as HTMLInputElement;
          document.querySelector('input[name="code"]')!.addEventListener('input', () => u.focus(), { once: true });
        });
        const err = await solveImageCaptcha(hp.page, { solver: createFixtureSolver(env.server), timeout: 30_000 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InputTypingError);
        expect((err as InputTypingError).code).toBe('ICS_ERR_INPUT_TYPING');
        expect((err as InputTypingError).changed).toEqual(['input[name="u"]']);
        expect((err as Error).message).toMatch(/changed another field: input\[name="u"\] \(restored/);
        expect(await hp.evaluate(() => (document.querySelector('input[name="u"]') as HTMLInputElement).value)).toBe('alice');
        expect(env.server.stats().submissions).toHaveLength(0);
      });
    }, 45_000);

    it('a submit that sends nothing (no control found, Enter does nothing): SubmitError, not solved: true', async () => {
      await onForm('/forms/table', async (hp) => {
        await hp.evaluate(() => document.getElementById('gonder')!.remove());
        const err = await solveImageCaptcha(hp.page, { solver: createFixtureSolver(env.server), verifyTimeout: 2_000, timeout: 30_000 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SubmitError);
        expect((err as SubmitError).code).toBe('ICS_ERR_SUBMIT');
        expect((err as Error).message).toMatch(/no request, navigation or page change followed within 2000ms: it was not sent/);
        expect((err as SubmitError).chosen?.submit?.method).toBe('enter');
        expect(env.server.stats().submissions).toHaveLength(0);
        // no decoy (forgotten password, register, language) was clicked instead
        expect(await hp.evaluate(() => document.body.getAttribute('data-decoy'))).toBeNull();
      });
    }, 45_000);
  });
}
