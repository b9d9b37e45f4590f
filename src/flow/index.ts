/**
 * The page flow: `solveImageCaptcha(page, '#captcha')` finds, captures, solves, types, submits and
 * verifies an image captcha in a Playwright or Puppeteer page (or frame), retrying with a new image on a
 * wrong answer, all within one deadline. Lower-level steps are exported for power users.
 */
import type { FrameDriver, PageDriver, PageLike } from '../browser/driver.js';
import { resolveTarget } from '../browser/detect.js';
import { captureElement, type CaptureOptions, type CapturedImage } from '../capture/index.js';
import { Deadline } from '../core/deadline.js';
import { CaptchaNotFoundError, CaptchaSolverError, InvalidOptionError } from '../core/errors.js';
import { locate, type Located } from '../locate/index.js';
import { FLOW_DEFAULTS, type CaptchaCandidate, type CaptchaResult, type FindOptions, type SolveImageCaptchaOptions } from './options.js';
import { runSolve } from './solve.js';
import { baseline, refresh, submit, typeInto, verify, validateOptions, type Outcome, type StepContext } from './steps.js';
import { PageWatch } from './watch.js';

export { attachImageRecorder, type ImageRecorder, type ImageRecorderOptions, type RecordedImage } from '../capture/recorder.js';
export type { CaptureOptions, CapturedImage, CaptureMethod } from '../capture/index.js';
export { CaptchaGoneError } from '../capture/index.js';
export type { PageLike, Framework } from '../browser/driver.js';
export { detectFramework } from '../browser/detect.js';
export { SAFE_CHROMIUM_ARGS } from '../browser/chromium.js';
export { FLOW_DEFAULTS } from './options.js';
export type {
  SolveImageCaptchaOptions,
  FindOptions,
  CaptchaResult,
  CaptchaCandidate,
  ProgressEvent,
  VerifyContext,
  ControlRef,
  SubmitRef,
  RefreshRef,
  CaptchaKind,
} from './options.js';
export type { Outcome } from './steps.js';
export type { CollectOutcome } from './collect.js';

/** Options of the lower-level steps: a time limit and an abort signal. */
export interface StepOptions {
  /**
   * Time limit in ms; 0 = none.
   * @default 30_000
   */
  timeout?: number;
  signal?: AbortSignal;
}

function splitArgs(selectorOrOptions: string | SolveImageCaptchaOptions | undefined, options: SolveImageCaptchaOptions | undefined): SolveImageCaptchaOptions {
  if (typeof selectorOrOptions === 'string') return { ...options, selector: selectorOrOptions };
  if (selectorOrOptions !== undefined && (typeof selectorOrOptions !== 'object' || selectorOrOptions === null)) {
    throw new InvalidOptionError(`solveImageCaptcha: the second argument must be a selector string or an options object (got ${typeof selectorOrOptions})`, {
      hint: "Call solveImageCaptcha(page, '#captcha', { … }) or solveImageCaptcha(page, { … })",
    });
  }
  return { ...selectorOrOptions, ...options };
}

/**
 * Finds the image captcha on `page` (by `selector`, else by heuristics, across all frames), reads it with
 * the solver, types the answer, submits, and checks the page accepted it; on a wrong answer it reports it,
 * gets a new image and retries (`retries`, default 2), all within `timeout` (default 60 s).
 *
 * Rejects with CaptchaNotFoundError, WrongAnswerError (with every answer tried), PageClosedError (page
 * closed, frame detached, navigation mid-solve), TimeoutError, a solver error, or `signal.reason`.
 *
 * @example
 * await solveImageCaptcha(page);                  // find it
 * await solveImageCaptcha(page, '#captcha_image'); // or say where it is
 */
export async function solveImageCaptcha(page: PageLike, selectorOrOptions?: string | SolveImageCaptchaOptions, options?: SolveImageCaptchaOptions): Promise<CaptchaResult> {
  const opts = splitArgs(selectorOrOptions, options);
  const { driver, frame } = resolveTarget(page);
  return runSolve({ driver, frame, options: opts });
}

function toPublic(c: Located): CaptchaCandidate {
  return {
    kind: c.kind,
    selector: c.selector,
    handle: c.handle,
    frame: c.frame.raw,
    frameUrl: c.frameUrl,
    confidence: c.confidence,
    reasons: c.reasons,
    width: c.width,
    height: c.height,
    naturalWidth: c.naturalWidth,
    naturalHeight: c.naturalHeight,
    src: c.src.startsWith('data:') ? `${c.src.slice(0, 40)}…` : c.src,
    input: c.input,
    submit: c.submit,
    refresh: c.refresh,
    queueit: c.queueit,
  };
}

function fromPublic(driver: PageDriver, c: CaptchaCandidate): Located {
  if (!c || typeof c !== 'object' || typeof c.handle !== 'string' || !c.frame) {
    throw new InvalidOptionError('solveImageCaptcha: expected a captcha returned by locateCaptcha()/findImageCaptchas()', { hint: 'Pass the object locateCaptcha() returned' });
  }
  const frame: FrameDriver = driver.frame(c.frame);
  return { ...c, frame, src: c.src, lazy: false, loaded: true, score: c.confidence * 10 } as Located;
}

async function withStep<T>(where: string, page: PageLike, options: StepOptions | undefined, fn: (ctx: StepContext & { frame?: FrameDriver }) => Promise<T>): Promise<T> {
  const { driver, frame } = resolveTarget(page, where);
  const deadline = new Deadline({ timeout: options?.timeout ?? 30_000, signal: options?.signal, label: where });
  const watch = new PageWatch(driver, frame, deadline);
  try {
    deadline.check();
    return await deadline.race(fn({ driver, deadline, watch, frame }));
  } catch (err) {
    throw await watch.settle(err, watch.step);
  } finally {
    watch.dispose();
    deadline.dispose();
  }
}

/**
 * Every image captcha on the page (main frame and iframes, same- and cross-origin), best first, each with
 * `confidence` and the `reasons` it was picked. Waits up to `locateTimeout` for one to appear; resolves to
 * `[]` when none does.
 */
export async function findImageCaptchas(page: PageLike, options: FindOptions = {}): Promise<CaptchaCandidate[]> {
  validateOptions(options);
  return withStep('findImageCaptchas', page, { timeout: options.timeout ?? FLOW_DEFAULTS.timeout, signal: options.signal }, async ({ driver, deadline, frame }) => {
    try {
      const found = await locate(driver, {
        frame,
        minConfidence: options.minConfidence ?? FLOW_DEFAULTS.minConfidence,
        waitMs: options.locateTimeout ?? FLOW_DEFAULTS.locateTimeout,
        deadline,
        all: true,
      });
      return found.map(toPublic);
    } catch (err) {
      if (err instanceof CaptchaNotFoundError) return [];
      throw err;
    }
  });
}

/** The best captcha (by `selector`, else heuristics). Throws CaptchaNotFoundError. */
export async function locateCaptcha(page: PageLike, selectorOrOptions?: string | FindOptions & { selector?: string }, options?: FindOptions & { selector?: string }): Promise<CaptchaCandidate> {
  const opts = splitArgs(selectorOrOptions as SolveImageCaptchaOptions, options as SolveImageCaptchaOptions);
  validateOptions(opts);
  return withStep('locateCaptcha', page, { timeout: opts.timeout ?? FLOW_DEFAULTS.timeout, signal: opts.signal }, async ({ driver, deadline, frame }) => {
    const found = await locate(driver, {
      selector: opts.selector,
      frame,
      minConfidence: opts.minConfidence ?? FLOW_DEFAULTS.minConfidence,
      waitMs: opts.locateTimeout ?? FLOW_DEFAULTS.locateTimeout,
      deadline,
    });
    return toPublic(found[0]!);
  });
}

/** The bytes the captcha shows right now (recorded response, browser cache, canvas/svg, or a screenshot). */
export async function captureCaptcha(page: PageLike, captcha: CaptchaCandidate, options: CaptureOptions & StepOptions = {}): Promise<CapturedImage> {
  return withStep('captureCaptcha', page, options, ({ driver, deadline }) => {
    const c = fromPublic(driver, captcha);
    return captureElement({ driver, frame: c.frame, handle: c.handle, kind: c.kind, deadline }, options);
  });
}

/** Clears the captcha's answer input and types `text` with real keyboard events. */
export async function typeAnswer(page: PageLike, captcha: CaptchaCandidate, text: string, options: StepOptions & Pick<SolveImageCaptchaOptions, 'input' | 'typingDelay'> = {}): Promise<void> {
  return withStep('typeAnswer', page, options, (ctx) => typeInto(ctx, fromPublic(ctx.driver, captcha), text, options));
}

/** Submits (the form's submit control, a primary-verb button, or Enter). Call `verifyAnswer` next. */
export async function submitAnswer(page: PageLike, captcha: CaptchaCandidate, options: StepOptions & Pick<SolveImageCaptchaOptions, 'submit' | 'input'> = {}): Promise<void> {
  return withStep('submitAnswer', page, options, async (ctx) => {
    const c = fromPublic(ctx.driver, captcha);
    if (ctx.watch) ctx.watch.frame = c.frame;
    await baseline(ctx, c, options);
    ctx.watch?.expectNavigation(true);
    await submit(ctx, c, options);
    // verifyAnswer, called next, must see the requests this submit sent (a form swapped for a spinner)
    ctx.watch?.handOff();
  });
}

/**
 * After `submitAnswer`: waits for the page to react and says `success`, `failure` or `unknown`
 * (no sign either way within `verifyTimeout`).
 */
export async function verifyAnswer(
  page: PageLike,
  captcha: CaptchaCandidate,
  options: StepOptions & Pick<SolveImageCaptchaOptions, 'verify' | 'verifyTimeout' | 'input' | 'minConfidence'> & { answer?: string } = {},
): Promise<{ outcome: Outcome; reason: string }> {
  return withStep('verifyAnswer', page, options, async (ctx) => {
    const c = fromPublic(ctx.driver, captcha);
    if (ctx.watch) {
      ctx.watch.frame = c.frame;
      ctx.watch.expectNavigation(true);
      ctx.watch.takeOver();
    }
    const r = await verify(ctx, c, options.answer ?? '', 1, options, 0);
    return { outcome: r.outcome, reason: r.reason };
  });
}

/** Clicks the refresh control (or the image). Resolves to false when there is no way to refresh. */
export async function refreshCaptcha(page: PageLike, captcha: CaptchaCandidate, options: StepOptions & Pick<SolveImageCaptchaOptions, 'refresh'> = {}): Promise<boolean> {
  return withStep('refreshCaptcha', page, options, async (ctx) => !!(await refresh(ctx, fromPublic(ctx.driver, captcha), options)));
}

/** What `solveImageCaptchas` returns: the solved ones and, for the others, why not. */
export interface SolveAllResult {
  results: CaptchaResult[];
  errors: Array<{ selector: string; frameUrl: string; error: CaptchaSolverError | Error }>;
}

/**
 * Solves every captcha on the page, one after the other (several forms). Fatal errors (page closed,
 * timeout, abort) reject; per-captcha errors are collected in `errors`.
 */
export async function solveImageCaptchas(page: PageLike, options: SolveImageCaptchaOptions = {}): Promise<SolveAllResult> {
  validateOptions(options);
  const started = Date.now();
  const total = options.timeout ?? FLOW_DEFAULTS.timeout;
  const found = await findImageCaptchas(page, options);
  const { driver } = resolveTarget(page, 'solveImageCaptchas');
  const out: SolveAllResult = { results: [], errors: [] };
  for (const c of found) {
    const left = total > 0 ? Math.max(1, total - (Date.now() - started)) : 0;
    try {
      // The handle finds the very element while the document lives; the readable selector finds it again
      // after an earlier captcha's form post reloaded the page.
      const r = await runSolve({ driver, frame: driver.frame(c.frame), options: { ...options, selector: `${c.handle}, ${c.selector}`, timeout: left, locateTimeout: Math.min(options.locateTimeout ?? 3000, 3000) } });
      out.results.push({ ...r, selector: c.selector });
    } catch (err) {
      if (options.signal?.aborted && err === options.signal.reason) throw err;
      const code = (err as CaptchaSolverError).code;
      if (code === 'ICS_ERR_PAGE_CLOSED' || code === 'ICS_ERR_TIMEOUT' || code === 'ICS_ERR_INVALID_OPTION') throw err;
      out.errors.push({ selector: c.selector, frameUrl: c.frameUrl, error: err as Error });
    }
  }
  return out;
}
