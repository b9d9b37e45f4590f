/**
 * The steps of the flow over our driver: act (type, submit), verify, refresh. `solve.ts` drives them;
 * `index.ts` exposes them to power users.
 */
import type { FrameDriver, PageDriver } from '../browser/driver.js';
import type { Deadline } from '../core/deadline.js';
import { CaptchaNotFoundError, InputAmbiguousError, InputTypingError, InvalidOptionError, SubmitError } from '../core/errors.js';
import { scanFrame } from '../locate/scan.js';
import type { Located } from '../locate/index.js';
import { ERROR_SELECTORS, SUCCESS_SELECTORS, checkTyped, isVisibleSelector, probeAfterSubmit, snapshotFields, submitByScript, takeBaseline, type ProbeResult } from './page-functions.js';
import type { SolveImageCaptchaOptions, VerifyContext } from './options.js';
import { PageWatch } from './watch.js';

export interface StepContext {
  driver: PageDriver;
  deadline: Deadline;
  watch?: PageWatch;
}

/** Runs `p` raced against the deadline and (when present) the page watch. */
export function guarded<T>(ctx: StepContext, step: Parameters<PageWatch['run']>[0], p: Promise<T>): Promise<T> {
  return ctx.watch ? ctx.watch.run(step, p) : ctx.deadline.race(p);
}

/**
 * The answer input to type into: the `input` option, else the one the scan chose. Throws CaptchaNotFoundError when
 * there is none, InputAmbiguousError when no input is clearly best (call it before paying for a solve).
 */
export function answerInput(c: Located, opts: Pick<SolveImageCaptchaOptions, 'input'>, log: string[] = []): string {
  if (opts.input) return opts.input;
  if (!c.input) {
    throw new CaptchaNotFoundError(`solveImageCaptcha: found the captcha ${c.selector} but no answer input next to it (in ${c.frameUrl})`, {
      hint: 'Pass the input selector as `input`',
      log,
    });
  }
  const contenders = c.input.ambiguous;
  if (contenders?.length) {
    const list = contenders.map((x) => `${x.selector} (score ${x.score}: ${x.reasons.join(', ')})`).join('; ');
    throw new InputAmbiguousError(`solveImageCaptcha: no input is clearly the answer input of the captcha ${c.selector} (in ${c.frameUrl}); nothing was typed. Candidates: ${list}`, {
      hint: `Name the answer input with the \`input\` option, e.g. solveImageCaptcha(page, { input: '${contenders[0]!.selector.replace(/'/g, "\\'")}' })`,
      candidates: contenders,
      log,
    });
  }
  return c.input.handle;
}

/**
 * Clears the answer input and types `text` with real keyboard events, then checks that the text landed there and
 * that no other field of the frame changed (a changed field is restored, and InputTypingError thrown).
 */
export async function typeInto(ctx: StepContext, c: Located, text: string, opts: Pick<SolveImageCaptchaOptions, 'input' | 'typingDelay'>): Promise<void> {
  const handle = answerInput(c, opts, [...ctx.deadline.log]);
  const where = opts.input ?? c.input?.selector;
  await guarded(ctx, 'act', c.frame.evaluate(snapshotFields, null));
  await guarded(ctx, 'act', c.frame.typeText(handle, text, { delay: opts.typingDelay ?? 0, timeout: ctx.deadline.budget(15_000) }));
  const check = await guarded(ctx, 'act', c.frame.evaluate(checkTyped, { input: handle, text }));
  if (check.changed.length) {
    throw new InputTypingError(`solveImageCaptcha: typing the answer into ${where} changed another field: ${check.changed.join(', ')} (restored; in ${c.frameUrl}). Nothing was submitted`, {
      hint: 'The page moved the focus while typing: pass the answer input as `input`, or `typingDelay` for a page that reacts to each key',
      changed: check.changed,
      log: [...ctx.deadline.log],
    });
  }
  if (check.present && !check.landed) {
    throw new InputTypingError(`solveImageCaptcha: the answer typed into ${where} did not land there (the field holds something else; in ${c.frameUrl}). Nothing was submitted`, {
      hint: 'The field may be read-only, masked, or replaced while typing: pass the right input as `input`',
      log: [...ctx.deadline.log],
    });
  }
  ctx.deadline.note(`act: typed ${text.length} characters into ${where}; no other field changed`);
}

/** Records the page state that verify compares against. Call right before submitting. */
export async function baseline(ctx: StepContext, c: Located, opts: Pick<SolveImageCaptchaOptions, 'input' | 'submit'>): Promise<void> {
  const args = { image: c.handle, input: opts.input ?? c.input?.handle, submit: clickedControl(c, opts), errorSelectors: ERROR_SELECTORS, successSelectors: SUCCESS_SELECTORS };
  await guarded(ctx, 'act', c.frame.evaluate(takeBaseline, args));
}

/** The control the submit step clicks (undefined when it presses Enter or submits the form itself). */
function clickedControl(c: Located, opts: Pick<SolveImageCaptchaOptions, 'submit'>): string | undefined {
  if (opts.submit === false || opts.submit === 'enter') return undefined;
  if (typeof opts.submit === 'string') return opts.submit;
  return c.submit?.method === 'enter' || c.submit?.method === 'form-submit' ? undefined : c.submit?.handle;
}

/** The submit control stayed disabled after the answer was typed. */
function disabledControl(c: Located, opts: Pick<SolveImageCaptchaOptions, 'submit'>): SubmitError {
  const what = typeof opts.submit === 'string' ? opts.submit : (c.submit?.selector ?? 'the submit control');
  return new SubmitError(`solveImageCaptcha: the answer was typed, but ${what} is disabled, so it could not be submitted (in ${c.frameUrl})`, {
    hint: 'The page may want other fields first (a checkbox, a username): fill them before the call, or pass `submit: false` and submit yourself',
  });
}

/** A real click on the submit control waits this long at most; then the control is clicked from script. */
const CLICK_TIMEOUT_MS = 5_000;

/** Submits the answer (click, Enter, or form.requestSubmit). Returns how, or undefined when `submit: false`. */
export async function submit(ctx: StepContext, c: Located, opts: Pick<SolveImageCaptchaOptions, 'submit' | 'input'>): Promise<string | undefined> {
  if (opts.submit === false) return undefined;
  const timeout = ctx.deadline.budget(15_000);
  const frame = c.frame;
  let how: string;
  let action: Promise<unknown>;
  if (opts.submit === 'enter' || (opts.submit === undefined && c.submit?.method === 'enter')) {
    how = 'pressed Enter';
    action = frame.press(answerInput(c, opts), 'Enter', { timeout });
  } else if (typeof opts.submit === 'string') {
    how = `clicked ${opts.submit}`;
    action = frame.click(opts.submit, { timeout: Math.min(timeout, CLICK_TIMEOUT_MS) });
  } else if (c.submit?.method === 'form-submit') {
    how = 'submitted the form (requestSubmit)';
    action = frame.evaluate(submitByScript, { input: answerInput(c, opts) });
  } else if (c.submit?.handle) {
    how = `clicked ${c.submit.selector}${c.submit.text ? ` "${c.submit.text}"` : ''}`;
    action = frame.click(c.submit.handle, { timeout: Math.min(timeout, CLICK_TIMEOUT_MS) });
  } else {
    how = 'pressed Enter';
    action = frame.press(answerInput(c, opts), 'Enter', { timeout });
  }
  try {
    await guarded(ctx, 'act', action);
  } catch (err) {
    // A click that navigates can lose its execution context on the way out: that is the navigation we want.
    const navigating = PageWatch.isContextLoss(err) && !ctx.driver.isClosed();
    const control = clickedControl(c, opts);
    if (!navigating) {
      // The click could not be made (another element takes the pointer, never stable, ...): click it from script.
      if (!control || ctx.deadline.aborted || ctx.watch?.failure || ctx.driver.isClosed()) throw err;
      const done = await guarded(ctx, 'act', frame.evaluate(submitByScript, { input: opts.input ?? c.input?.handle, submit: control }));
      if (done.disabled) throw disabledControl(c, opts);
      if (!done.how) throw err;
      ctx.deadline.note(`act: ${how} failed (${(err as Error).message?.split('\n')[0]?.slice(0, 100)}); ${done.how}`);
      return `${how} (from script)`;
    }
  }
  ctx.deadline.note(`act: ${how}`);
  return how;
}

export type Outcome = 'success' | 'failure' | 'unknown';

export interface VerifyResult {
  outcome: Outcome;
  reason: string;
  /** The captcha's document was replaced (navigation / form post). */
  navigated: boolean;
  /** The page already shows a new image (no refresh needed). */
  newImage: boolean;
}

/** How long after the submit a page that saw no click on its control, no key and no submit event is resubmitted. */
const UNREACHED_MS = 1_000;

/** After a navigation with no message either way, how long to wait for a late captcha before calling it a success. */
const NEW_DOCUMENT_GRACE_MS = 600;

const ERROR_DIALOG = /incorrect|invalid|wrong|not (correct|match|valid)|mismatch|fail|error|try again|错误|不正确|失败|неверн|ошибк/i;

/** Waits for the page to react to the submit and tells success from failure. */
export async function verify(
  ctx: StepContext,
  c: Located,
  answer: string,
  attempt: number,
  opts: Pick<SolveImageCaptchaOptions, 'verify' | 'verifyTimeout' | 'input' | 'minConfidence' | 'submit'>,
  submittedAt: number,
): Promise<VerifyResult> {
  const { deadline } = ctx;
  const mode = opts.verify ?? 'auto';
  const limit = opts.verifyTimeout ?? 10_000;
  const start = Date.now();
  const frame = c.frame;
  const args = { image: c.handle, input: opts.input ?? c.input?.handle, errorSelectors: ERROR_SELECTORS, successSelectors: SUCCESS_SELECTORS };
  let navigated = false;
  let resubmitted = false;
  let newDocAt: number | undefined;
  let last: ProbeResult | undefined;
  let delay = 25;
  const done = (outcome: Outcome, reason: string, newImage = navigated): VerifyResult => {
    deadline.note(`verify: ${outcome} (${reason})`);
    return { outcome, reason, navigated, newImage };
  };
  while (Date.now() - start < limit) {
    if (ctx.watch?.failure) throw ctx.watch.failure;
    if (ctx.driver.isClosed() || frame.isDetached()) {
      // An iframe that removes itself after success, or a closed page: both end the flow.
      if (ctx.watch) throw await ctx.watch.settle(new Error('Target closed'), 'verify');
      return done('unknown', 'the page or frame went away');
    }
    const dialog = ctx.watch?.dialogs.find((d) => d.at >= submittedAt);
    if (dialog && typeof mode === 'function') return await predicate(ctx, c, answer, attempt, mode, false, done);
    if (dialog) {
      if (!ERROR_DIALOG.test(dialog.message)) return done('success', `alert: ${dialog.message.slice(0, 80)}`);
      const gone = frame.isDetached() || ctx.driver.isClosed();
      return done('failure', `alert: ${dialog.message.slice(0, 80)}`, gone ? false : await pageRefreshes(ctx, frame, args));
    }
    if (typeof mode === 'string' && mode !== 'auto') {
      const seen = await guarded(ctx, 'verify', Promise.all(ctx.driver.frames().map((f) => f.evaluate(isVisibleSelector, mode).catch(() => false))));
      if (seen.some(Boolean)) return done('success', `${mode} appeared`);
    }
    let probe: ProbeResult | undefined;
    try {
      probe = await guarded(ctx, 'verify', frame.evaluate(probeAfterSubmit, args));
    } catch (err) {
      if (!PageWatch.isContextLoss(err) || ctx.driver.isClosed() || frame.isDetached()) throw err;
      navigated = true; // the document is being replaced
    }
    const unreached = probe && !probe.newDocument && !probe.reached && probe.mutations === 0 && !navigated && !ctx.watch?.sentRequests();
    if (unreached && !resubmitted && Date.now() - start >= UNREACHED_MS) {
      // The click landed on something else (an invisible layer over the button) and the page did nothing: no event,
      // no DOM change, no request. Nothing was sent, so submitting from script cannot submit twice.
      resubmitted = true;
      const { how, disabled } = await guarded(ctx, 'verify', frame.evaluate(submitByScript, { input: args.input, submit: clickedControl(c, opts) }));
      if (disabled) throw disabledControl(c, opts);
      deadline.note(`verify: the submit did not reach the page (no click on the control, no submit event); ${how || 'nothing to submit from script'}`);
      if (how) {
        await deadline.wait(delay);
        continue;
      }
    }
    if (probe) {
      last = probe;
      if (probe.newDocument) {
        navigated = true;
        if (probe.readyState !== 'loading') {
          newDocAt ??= Date.now();
          // A predicate is the judge: ask it as soon as the new document is there.
          if (typeof mode === 'function') return await predicate(ctx, c, answer, attempt, mode, true, done);
          // A server or network error after the submit says nothing about the answer: never call it a success.
          if (probe.errorPage) return done('unknown', `the submit led to the browser's error page (${frame.url()}): the site did not answer`);
          if (probe.httpStatus >= 500) return done('unknown', `the submit led to an HTTP ${probe.httpStatus} page (${frame.url()}): the site failed`);
          if (probe.errorText) return done('failure', `navigated; error shown: ${probe.errorText.slice(0, 80)}`, true);
          if (probe.successText && mode === 'auto') return done('success', `navigated; success shown: ${probe.successText.slice(0, 80)}`);
          const again = await guarded(ctx, 'verify', frame.evaluate(scanFrame, { tag: 'v', minConfidence: opts.minConfidence ?? 0.4 })).catch(() => undefined);
          // The same form back (same captcha or same input) means the answer was rejected; another form
          // on the new page (a second captcha) does not.
          const back = again?.candidates.find((x) => x.input && (x.selector === c.selector || (!!c.input && x.input.selector === c.input.selector)));
          if (back) return done('failure', `the form came back after navigation (${back.selector})`, true);
          if (probe.httpStatus >= 400) return done('unknown', `the submit led to an HTTP ${probe.httpStatus} page (${frame.url()})`);
          // Give late-injected forms and messages a moment before calling it a success.
          if (mode === 'auto' && Date.now() - newDocAt >= NEW_DOCUMENT_GRACE_MS) return done('success', `navigated to ${frame.url()} and no captcha is left`);
        }
      } else {
        const settled = probe.quietMs >= 120 || Date.now() - start > 1500;
        if (typeof mode === 'function') {
          if (settled && probe.mutations > 0) return await predicate(ctx, c, answer, attempt, mode, false, done);
        } else if (probe.errorText || probe.ariaInvalid) {
          const reason = probe.errorText ? `error shown: ${probe.errorText.slice(0, 80)}` : 'the input is marked aria-invalid';
          return done('failure', reason, probe.srcChanged || !probe.imagePresent || (await pageRefreshes(ctx, frame, args)));
        }
        // A new success message is evidence enough, no need to wait for the DOM to settle.
        if (probe.successText && mode === 'auto') return done('success', `success shown: ${probe.successText.slice(0, 80)}`);
        if (settled && probe.mutations > 0) {
          if (!probe.imagePresent || !probe.imageVisible) {
            if (!probe.inputPresent || probe.inputValue === '' ) {
              const inputGone = !probe.inputPresent;
              // ...unless the page still waits for the answer to its request (a spinner in the form's place)
              if (inputGone && mode === 'auto' && !ctx.watch?.awaitingResponse()) return done('success', 'the captcha and its input went away');
              if (!inputGone) return done('failure', 'the captcha was replaced and the input cleared', true);
            }
          }
          if (probe.srcChanged) return done('failure', 'the page changed the captcha image', true);
        }
      }
    }
    await deadline.wait(delay);
    delay = Math.min(delay * 2, 100);
  }
  if (typeof mode === 'function') return await predicate(ctx, c, answer, attempt, mode, navigated, done);
  if (typeof mode === 'string' && mode !== 'auto') return done('failure', `${mode} did not appear within ${limit}ms`);
  if (last && !last.newDocument && last.inputPresent && last.inputValue === '' && last.mutations > 0) return done('failure', 'the input was cleared', false);
  if (ctx.watch && !navigated && ctx.watch.navigations === 0 && !ctx.watch.sentRequests() && last && !last.newDocument && last.mutations === 0) {
    throw nothingSent(c, opts, limit, [...deadline.log]);
  }
  return done('unknown', `no sign of success or failure within ${limit}ms`);
}

/** The submit was made, but no request, navigation, dialog or DOM change followed: the answer never left the page. */
function nothingSent(c: Located, opts: Pick<SolveImageCaptchaOptions, 'submit'>, limit: number, log: string[]): SubmitError {
  const how = typeof opts.submit === 'string' ? (opts.submit === 'enter' ? 'Enter in the input' : opts.submit) : c.submit?.selector ?? (c.submit?.method === 'form-submit' ? 'form.requestSubmit()' : 'Enter in the input');
  return new SubmitError(`solveImageCaptcha: the answer was typed and submitted (${how}), but no request, navigation or page change followed within ${limit}ms: it was not sent (in ${c.frameUrl})`, {
    hint: 'Pass the control that sends the form as `submit` (a selector of its button, link or div)',
    log,
  });
}

/**
 * After a rejection on the same document: many pages load a new image themselves (RuoYi, mews, CF7).
 * Wait briefly for that, so we do not click refresh on top of it (two refreshes race: the image we
 * capture could be one the server already replaced).
 */
async function pageRefreshes(ctx: StepContext, frame: FrameDriver, args: Parameters<typeof probeAfterSubmit>[0]): Promise<boolean> {
  const start = Date.now();
  while (Date.now() - start < 1500) {
    await ctx.deadline.wait(50);
    const p = await guarded(ctx, 'verify', frame.evaluate(probeAfterSubmit, args)).catch(() => undefined);
    if (!p || p.newDocument) return true;
    if (p.srcChanged || !p.imagePresent) return true;
    if (Date.now() - start >= 400 && p.quietMs >= 250) return false;
  }
  return false;
}

async function predicate(
  ctx: StepContext,
  c: Located,
  answer: string,
  attempt: number,
  fn: (ctx: VerifyContext) => Promise<boolean>,
  navigated: boolean,
  done: (o: Outcome, r: string, n?: boolean) => VerifyResult,
): Promise<VerifyResult> {
  const ok = await guarded(ctx, 'verify', Promise.resolve(fn({ page: ctx.driver.raw, frame: c.frame.raw, answer, attempt, navigated })));
  return done(ok ? 'success' : 'failure', `verify predicate returned ${ok}`, navigated);
}

/** Asks the page for a new image. Returns what it did, or undefined when there is no way to refresh. */
export async function refresh(ctx: StepContext, c: Located, opts: Pick<SolveImageCaptchaOptions, 'refresh'>): Promise<string | undefined> {
  if (opts.refresh === false) return undefined;
  const timeout = ctx.deadline.budget(10_000);
  let target: string | undefined;
  if (typeof opts.refresh === 'string' && opts.refresh !== 'click-image') target = opts.refresh;
  else if (opts.refresh === 'click-image' || c.refresh?.method === 'click-image') target = c.handle;
  else if (c.refresh?.handle) target = c.refresh.handle;
  if (!target) return undefined;
  await guarded(ctx, 'verify', c.frame.click(target, { timeout }));
  const how = target === c.handle ? 'clicked the image' : `clicked ${opts.refresh && typeof opts.refresh === 'string' ? opts.refresh : c.refresh?.selector}`;
  ctx.deadline.note(`refresh: ${how}`);
  return how;
}

/** Validates the option object (types and ranges) up front. */
export function validateOptions(o: SolveImageCaptchaOptions): void {
  const bad = (what: string, hint: string) => {
    throw new InvalidOptionError(`solveImageCaptcha: ${what}`, { hint });
  };
  const nonNeg = (name: keyof SolveImageCaptchaOptions) => {
    const v = o[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) bad(`\`${String(name)}\` must be a number ≥ 0 (got ${String(v)})`, `Pass a number of ${name === 'retries' ? 'retries' : 'milliseconds'}`);
  };
  for (const k of ['timeout', 'retries', 'locateTimeout', 'verifyTimeout', 'typingDelay'] as const) nonNeg(k);
  if (o.solver !== undefined && (typeof o.solver !== 'object' || o.solver === null || typeof o.solver.solve !== 'function')) bad('`solver` has no solve() method', "Pass a Solver, e.g. createSolver('auto')");
  if (o.verify !== undefined && o.verify !== false && typeof o.verify !== 'string' && typeof o.verify !== 'function') bad('`verify` must be "auto", a selector, a function or false', "Use verify: 'auto'");
  if (o.submit !== undefined && o.submit !== false && typeof o.submit !== 'string') bad('`submit` must be a selector, "enter" or false', "Use submit: 'enter' or a selector");
  if (o.refresh !== undefined && o.refresh !== false && typeof o.refresh !== 'string') bad('`refresh` must be a selector, "click-image" or false', 'Use a selector');
  for (const k of ['minLength', 'maxLength'] as const) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 64)) bad(`\`${k}\` must be an integer from 0 to 64 (got ${String(v)})`, 'Pass the number of characters the captcha shows, or 0 for any');
  }
  if (o.minLength && o.maxLength && o.minLength > o.maxLength) bad(`\`minLength\` ${o.minLength} is above \`maxLength\` ${o.maxLength}`, 'Swap them, or use 0 for any');
  if (o.math !== undefined && typeof o.math !== 'boolean') bad(`\`math\` must be true or false (got ${String(o.math)})`, 'Pass math: true when the answer is the value of the arithmetic the captcha shows');
  if (o.minConfidence !== undefined && !(o.minConfidence >= 0 && o.minConfidence <= 1)) bad('`minConfidence` must be between 0 and 1', 'Use e.g. 0.4');
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') bad('`onProgress` must be a function', 'Pass (event) => …');
}

export type { FrameDriver };
