/**
 * Typed errors of the page flow, over BOTH adapters: no captcha, page closed / frame detached / navigation
 * mid-solve, timeout, abort, wrong answers exhausted, bad arguments; and a site that fails the submit (HTTP
 * 4xx/5xx, dropped connection), which must not be called a success. Each must settle, never hang.
 */
import { describe, expect, it } from 'vitest';
import { createFixtureSolver } from '../../fixtures/site/index.js';
import { solveImageCaptcha, attachImageRecorder } from '../../src/flow/index.js';
import {
  CaptchaNotFoundError,
  InvalidOptionError,
  PageClosedError,
  SubmitError,
  TimeoutError,
  WrongAnswerError,
  isCaptchaSolverError,
} from '../../src/core/errors.js';
import { ADAPTERS, type HarnessPage } from '../support/browsers.js';
import { guardFields, useFixtureBrowser } from '../support/e2e.js';

for (const adapter of ADAPTERS) {
  describe(`flow errors over ${adapter}`, () => {
    const env = useFixtureBrowser(adapter);

    /** A fresh site state and a page at `path` (a fixture URL, knobs included), closed after `fn`. */
    async function onPage(path: string, fn: (hp: HarnessPage) => Promise<void>): Promise<void> {
      env.server.reset();
      const hp = await env.browser.newPage();
      try {
        await hp.goto(`${env.server.url}${path}`);
        await fn(hp);
      } finally {
        await hp.close();
      }
    }

    it('no captcha on the page: CaptchaNotFoundError naming what was searched', async () => {
      const hp = await env.browser.newPage();
      try {
        await hp.setContent('<header><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="160" height="48" class="logo"></header><form><input name="q"><button>Search</button></form>');
        const err = await solveImageCaptcha(hp.page, { solver: createFixtureSolver(env.server), locateTimeout: 300, timeout: 10_000 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CaptchaNotFoundError);
        expect((err as CaptchaNotFoundError).code).toBe('ICS_ERR_CAPTCHA_NOT_FOUND');
        expect((err as Error).message).toMatch(/^solveImageCaptcha: no image captcha found \(searched 1 frame/);
        expect((err as CaptchaNotFoundError).log.length).toBeGreaterThan(0);
      } finally {
        await hp.close();
      }
    }, 30_000);

    it('a broken captcha image (404): CaptchaNotFoundError within seconds, saying it failed to load', async () => {
      await onPage('/logout', async (hp) => {
        await hp.page.evaluate((url: string) => {
          document.body.innerHTML = `<form method="post" action="/login"><img id="captcha_image" src="${url}/captcha/securimage?id=gone" alt="CAPTCHA Image" width="215" height="80">
<label for="captcha_code">Enter the code above:</label><input id="captcha_code" name="captcha_code" maxlength="6" autocomplete="off"><input type="submit" value="Log in"></form>`;
        }, env.server.url);
        const started = Date.now();
        const err = await solveImageCaptcha(hp.page, { solver: createFixtureSolver(env.server), timeout: 30_000 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CaptchaNotFoundError);
        expect((err as Error).message).toMatch(/#captcha_image failed to load \(http:\/\/127\.0\.0\.1:\d+\/captcha\/securimage\?id=gone\): the site did not serve the image\)\. The captcha image is broken/);
        expect(Date.now() - started).toBeLessThan(8_000); // not the whole locateTimeout (10 s)
      });
    }, 30_000);

    it('a captcha image that fails once (500): its refresh control is clicked, the new image solved', async () => {
      await onPage('/login?imageFailsFirst=1', async (hp) => {
        const guard = await guardFields(hp, '#captcha_code');
        const result = await solveImageCaptcha(hp.page, { solver: createFixtureSolver(env.server), timeout: 30_000 });
        await guard.expectUntouched();
        expect([result.solved, result.verified, result.attempts], result.verification).toEqual([true, true, 1]);
        expect(env.server.stats().submissions.map((s) => s.reason)).toEqual(['ok']);
        expect(env.server.stats().captchas.map((c) => c.imageRequests)).toEqual([2]); // the 500, then the refreshed image
      });
    }, 30_000);

    it('a selector that matches nothing: CaptchaNotFoundError quoting it', async () => {
      env.server.reset();
      const hp = await env.browser.newPage();
      try {
        await hp.goto(`${env.server.url}/login`);
        const err = await solveImageCaptcha(hp.page, '#nope', { solver: createFixtureSolver(env.server), locateTimeout: 300 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CaptchaNotFoundError);
        expect((err as Error).message).toContain('"#nope"');
      } finally {
        await hp.close();
      }
    }, 30_000);

    it('page closed mid-solve: PageClosedError', async () => {
      env.server.reset();
      const hp = await env.browser.newPage();
      await hp.goto(`${env.server.url}/login`);
      const solver = createFixtureSolver(env.server, { delayMs: 5_000 });
      const pending = solveImageCaptcha(hp.page, { solver, timeout: 20_000 }).catch((e: unknown) => e);
      while (solver.calls.length === 0) await new Promise((r) => setTimeout(r, 20));
      await hp.page.close();
      const err = await pending;
      expect(err).toBeInstanceOf(PageClosedError);
      expect((err as PageClosedError).code).toBe('ICS_ERR_PAGE_CLOSED');
      expect((err as Error).message).toMatch(/page was closed/);
      await hp.close();
    }, 30_000);

    it('navigation mid-solve: PageClosedError', async () => {
      env.server.reset();
      const hp = await env.browser.newPage();
      try {
        await hp.goto(`${env.server.url}/login`);
        const solver = createFixtureSolver(env.server, { delayMs: 5_000 });
        const pending = solveImageCaptcha(hp.page, { solver, timeout: 20_000 }).catch((e: unknown) => e);
        while (solver.calls.length === 0) await new Promise((r) => setTimeout(r, 20));
        await hp.goto(`${env.server.url}/logout`);
        const err = await pending;
        expect(err).toBeInstanceOf(PageClosedError);
        expect((err as Error).message).toMatch(/navigated away/);
        expect(env.server.stats().submissions).toHaveLength(0);
      } finally {
        await hp.close();
      }
    }, 30_000);

    it('the captcha iframe removed mid-solve: PageClosedError', async () => {
      env.server.reset();
      const hp = await env.browser.newPage();
      try {
        await hp.goto(`${env.server.url}/iframe`);
        const solver = createFixtureSolver(env.server, { delayMs: 5_000 });
        const pending = solveImageCaptcha(hp.page, { solver, timeout: 20_000 }).catch((e: unknown) => e);
        while (solver.calls.length === 0) await new Promise((r) => setTimeout(r, 20));
        await hp.evaluate(() => document.querySelector('iframe')?.remove());
        const err = await pending;
        expect(err).toBeInstanceOf(PageClosedError);
        expect((err as Error).message).toMatch(/detached/);
      } finally {
        await hp.close();
      }
    }, 30_000);

    it('timeout with a slow solver: TimeoutError carrying the call log', async () => {
      env.server.reset();
      const hp = await env.browser.newPage();
      try {
        await hp.goto(`${env.server.url}/login`);
        const solver = createFixtureSolver(env.server, { delayMs: 10_000 });
        const err = await solveImageCaptcha(hp.page, { solver, timeout: 1_500 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TimeoutError);
        expect((err as TimeoutError).code).toBe('ICS_ERR_TIMEOUT');
        expect((err as Error).message).toContain('Timeout 1500ms exceeded');
        expect((err as TimeoutError).log.join('\n')).toMatch(/capture: /);
        expect(env.server.stats().submissions).toHaveLength(0);
      } finally {
        await hp.close();
      }
    }, 30_000);

    it('abort: rejects with signal.reason itself', async () => {
      env.server.reset();
      const hp = await env.browser.newPage();
      try {
        await hp.goto(`${env.server.url}/login`);
        const solver = createFixtureSolver(env.server, { delayMs: 10_000 });
        const controller = new AbortController();
        const reason = new Error('user cancelled');
        const pending = solveImageCaptcha(hp.page, { solver, signal: controller.signal, timeout: 20_000 }).catch((e: unknown) => e);
        while (solver.calls.length === 0) await new Promise((r) => setTimeout(r, 20));
        controller.abort(reason);
        expect(await pending).toBe(reason);
        // an already-aborted signal rejects at once with its reason
        const err2 = await solveImageCaptcha(hp.page, { solver, signal: AbortSignal.abort('stop') }).catch((e: unknown) => e);
        expect(err2).toBe('stop');
      } finally {
        await hp.close();
      }
    }, 30_000);

    it('every answer wrong: WrongAnswerError with each answer, one server failure per attempt', async () => {
      env.server.reset();
      const hp = await env.browser.newPage();
      try {
        attachImageRecorder(hp.page);
        await hp.goto(`${env.server.url}/login`);
        const solver = createFixtureSolver(env.server, { wrongFirst: 10 });
        const guard = await guardFields(hp, '#captcha_code');
        const err = await solveImageCaptcha(hp.page, { solver, retries: 1, timeout: 30_000 }).catch((e: unknown) => e);
        await guard.expectUntouched();
        expect(err).toBeInstanceOf(WrongAnswerError);
        // the error says what the flow chose, and why
        expect((err as WrongAnswerError).chosen?.input).toMatchObject({ selector: '#captcha_code' });
        expect((err as WrongAnswerError).chosen?.submit).toMatchObject({ selector: '#login-submit', method: 'click' });
        expect((err as WrongAnswerError).chosen?.refresh?.reasons.length).toBeGreaterThan(0);
        expect((err as WrongAnswerError).answers).toHaveLength(2);
        expect((err as WrongAnswerError).answers).toEqual(solver.solutions.map((s) => s.text));
        expect(env.server.stats().submissions.map((s) => s.reason)).toEqual(['wrong', 'wrong']);
        // the error carries the last image read (the second attempt's), kept out of logs and JSON
        const image = (err as WrongAnswerError).image;
        expect(image?.mime).toMatch(/^image\//);
        expect(image?.body).toBe(solver.calls[1]!.body);
        expect(image?.body).not.toBe(solver.calls[0]!.body);
        expect(Object.keys(err as object)).not.toContain('image');
        expect(JSON.stringify(err)).not.toContain(image!.body.slice(0, 40));
      } finally {
        await hp.close();
      }
    }, 45_000);

    for (const [knob, what] of [['503', 'an HTTP 503 page'], ['403', 'an HTTP 403 page'], ['1', "the browser's own error page (connection dropped)"]] as const) {
      it(`the submit leads to ${what}: not called a success (solved, verified: false), the reason in result.verification`, async () => {
        await onPage(`/login?submitFails=${knob}`, async (hp) => {
          const events: string[] = [];
          const result = await solveImageCaptcha(hp.page, { solver: createFixtureSolver(env.server), timeout: 30_000, onProgress: (e) => events.push(`${e.step}: ${e.detail ?? ''}`) });
          expect(result.solved).toBe(true);
          expect(result.verified, events.join('\n')).toBe(false);
          expect(events.at(-1)).toBe(`done: ${result.verification}`);
          expect(result.verification).toMatch(knob === '1' ? /^unknown: the submit led to the browser's error page \(chrome-error:/ : new RegExp(`^unknown: the submit led to an HTTP ${knob} page \\(http`));
          expect(env.server.stats().submissions).toHaveLength(0); // the site failed before it read the answer
        });
      }, 45_000);
    }

    it('an invisible layer over the submit button swallows the click: the form is submitted by script, and accepted', async () => {
      await onPage('/login?coverSubmit=1', async (hp) => {
        const started = Date.now();
        const result = await solveImageCaptcha(hp.page, { solver: createFixtureSolver(env.server), timeout: 30_000 });
        expect([result.solved, result.verified, result.attempts], result.verification).toEqual([true, true, 1]);
        expect(env.server.stats().submissions.map((s) => s.reason)).toEqual(['ok']);
        expect(Date.now() - started).toBeLessThan(15_000);
      });
    }, 45_000);

    it('a submit control that stays disabled: SubmitError naming it, nothing sent', async () => {
      await onPage('/login', async (hp) => {
        await hp.page.evaluate(() => {
          (document.getElementById('login-submit') as HTMLInputElement).disabled = true; // as if a terms box were unticked
        });
        const started = Date.now();
        const err = await solveImageCaptcha(hp.page, { solver: createFixtureSolver(env.server), timeout: 30_000 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SubmitError);
        expect((err as SubmitError).code).toBe('ICS_ERR_SUBMIT');
        expect((err as Error).message).toMatch(/the answer was typed, but #login-submit is disabled/);
        expect(env.server.stats().submissions).toHaveLength(0);
        expect(Date.now() - started).toBeLessThan(12_000);
      });
    }, 45_000);

    it('reports a wrong answer to the solver (reportIncorrect) before retrying', async () => {
      env.server.reset();
      const hp = await env.browser.newPage();
      try {
        await hp.goto(`${env.server.url}/data-url`);
        const inner = createFixtureSolver(env.server, { wrongFirst: 1 });
        const reported: string[] = [];
        const solver = { name: inner.name, solve: inner.solve.bind(inner), reportIncorrect: async (s: { text: string }) => void reported.push(s.text) };
        const guard = await guardFields(hp, '#form_captcha');
        const r = await solveImageCaptcha(hp.page, { solver, timeout: 30_000 });
        await guard.expectUntouched();
        expect(r.attempts).toBe(2);
        expect(reported).toEqual([r.answers[0]]);
      } finally {
        await hp.close();
      }
    }, 45_000);

    it('bad arguments: InvalidOptionError', async () => {
      const hp = await env.browser.newPage();
      try {
        await expect(solveImageCaptcha({} as never)).rejects.toBeInstanceOf(InvalidOptionError);
        await expect(solveImageCaptcha(hp.page, { timeout: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
        await expect(solveImageCaptcha(hp.page, { solver: {} as never })).rejects.toBeInstanceOf(InvalidOptionError);
        await expect(solveImageCaptcha(hp.page, { maxLength: 2.5 })).rejects.toThrow(/`maxLength` must be an integer from 0 to 64/);
        await expect(solveImageCaptcha(hp.page, { minLength: 6, maxLength: 5 })).rejects.toThrow(/`minLength` 6 is above `maxLength` 5/);
        await expect(solveImageCaptcha(hp.page, { math: 'yes' as never })).rejects.toThrow(/`math` must be true or false/);
        const err = await solveImageCaptcha(hp.page, { retries: Number.NaN }).catch((e: unknown) => e);
        expect(isCaptchaSolverError(err)).toBe(true);
        expect((err as Error).message).toMatch(/^solveImageCaptcha: `retries`/);
      } finally {
        await hp.close();
      }
    }, 30_000);
  });
}
