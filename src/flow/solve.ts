/**
 * The loop: locate → capture → solve → act → verify, refresh + retry within one Deadline.
 */
import type { FrameDriver, PageDriver } from '../browser/driver.js';
import { captureElement, type CapturedImage } from '../capture/index.js';
import { recorderFor } from '../capture/recorder.js';
import { Deadline } from '../core/deadline.js';
import { CaptchaSolverError, InvalidOptionError, UnsolvableError, WrongAnswerError } from '../core/errors.js';
import type { ImageToTextTask, Solution, Solver } from '../core/types.js';
import { locate, type Located } from '../locate/index.js';
import { DebugWriter } from './debug.js';
import { FLOW_DEFAULTS, type CaptchaResult, type ProgressEvent, type SolveImageCaptchaOptions } from './options.js';
import { answerInput, baseline, guarded, refresh, submit, typeInto, validateOptions, verify, type StepContext, type VerifyResult } from './steps.js';
import { chosenControls, describeChosen } from './chosen.js';
import { PageWatch } from './watch.js';
import { collectVerified, describeCollect, reportVerdict, validateCollect } from './collect.js';

let defaultSolver: Promise<Solver> | undefined;

/** `createSolver('auto')`, made once per process and loaded lazily (the offline model is heavy). */
export function getDefaultSolver(): Promise<Solver> {
  defaultSolver ??= import('../solvers/registry.js')
    .then((m) => m.createSolver('auto'))
    .catch((err: unknown) => {
      defaultSolver = undefined;
      throw new InvalidOptionError(`solveImageCaptcha: no default solver could be created (${(err as Error).message})`, {
        hint: "Pass `solver` (e.g. createSolver('capsolver', { apiKey }))",
        cause: err,
      });
    });
  return defaultSolver;
}

type Timings = CaptchaResult['timings'];

export interface RunParams {
  driver: PageDriver;
  /** Restrict to this frame (and its descendants). */
  frame?: FrameDriver;
  options: SolveImageCaptchaOptions;
}

/**
 * The located answer input's `maxlength`, as the default `task.maxLength` (a longer answer could not be typed
 * into it); undefined when you named the input yourself (`input`) or it is below your `minLength`.
 */
function inputMaxLength(o: SolveImageCaptchaOptions, located: Located): number | undefined {
  const max = o.input ? undefined : located.input?.maxLength;
  return max !== undefined && max >= (o.minLength ?? 0) ? max : undefined;
}

/**
 * The recognition module the flow asks for when you chose none: `queueit` on Queue-it pages, `number` (digits only)
 * when the located answer input takes digits only (`type=number`, `inputmode=numeric`, a `pattern` of digits); not
 * when you named the input yourself (`input`).
 */
function inputModule(o: SolveImageCaptchaOptions, located: Located): string | undefined {
  if (o.module !== undefined) return o.module;
  if (located.queueit) return 'queueit';
  return !o.input && located.input?.digitsOnly ? 'number' : undefined;
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

export async function runSolve({ driver, frame: restrict, options }: RunParams): Promise<CaptchaResult> {
  validateOptions(options);
  validateCollect(options.collect);
  const o = { ...FLOW_DEFAULTS, ...stripUndefined({ ...options }) };
  const deadline = new Deadline({ timeout: o.timeout, signal: o.signal, label: 'solveImageCaptcha' });
  const watch = new PageWatch(driver, undefined, deadline);
  const ctx: StepContext = { driver, deadline, watch };
  const dbg = new DebugWriter(o.debug === false ? undefined : (o.debug ?? (process.env.IMAGE_CAPTCHA_DEBUG || undefined)));
  const timings: Timings = { locate: 0, capture: 0, solve: 0, act: 0, verify: 0, total: 0 };
  const answers: string[] = [];
  let attempt = 0;
  const progress = (step: ProgressEvent['step'], detail?: string) => {
    try {
      o.onProgress?.({ step, attempt, elapsedMs: deadline.elapsed(), detail });
    } catch {
      // a progress callback must not break the flow
    }
  };
  const timed = async <T>(key: keyof Timings, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      timings[key] += Date.now() - t0;
    }
  };
  let lastImage: CapturedImage | undefined;
  let lastLocated: Located | undefined;
  try {
    deadline.check();
    if (driver.isClosed()) watch.fail('the page was closed');
    if (watch.failure) throw watch.failure;
    recorderFor(driver); // later images (after refresh) are recorded from now on
    const solverP = o.solver ? Promise.resolve(o.solver) : getDefaultSolver();
    solverP.catch(() => {});
    const maxAttempts = o.verify === false ? 1 : o.retries + 1;
    let previous: { located: Located; image: CapturedImage; verdict: VerifyResult; refreshed: boolean } | undefined;
    let lastSolution: Solution | undefined;

    while (attempt < maxAttempts) {
      attempt++;
      watch.expectNavigation(false);
      const locateAndCapture = async (): Promise<{ located: Located; image: CapturedImage }> => {
        progress('locate', o.selector ? `selector ${o.selector}` : 'heuristics');
        const sameDoc = previous && !previous.verdict.navigated;
        const located: Located = await timed('locate', async () => {
          const found = await guarded(
            ctx,
            'locate',
            locate(driver, {
              selector: o.selector,
              frame: restrict,
              minConfidence: o.minConfidence,
              waitMs: attempt === 1 ? o.locateTimeout : Math.max(o.locateTimeout, 3000),
              deadline,
              notSrc: sameDoc && previous!.located.kind === 'img' ? previous!.located.src : undefined,
              typed: answers,
              check: () => {
                if (watch.failure) throw watch.failure;
              },
            }),
          ).catch(async (err: unknown) => {
            // After a refresh the image may keep its URL (same src, new bytes): accept it and compare bytes.
            if (sameDoc && err instanceof CaptchaSolverError && err.code === 'ICS_ERR_CAPTCHA_NOT_FOUND') {
              return guarded(ctx, 'locate', locate(driver, { selector: o.selector, frame: restrict, minConfidence: o.minConfidence, waitMs: 1000, deadline, typed: answers }));
            }
            throw err;
          });
          return found[0]!;
        });
        lastLocated = located;
        watch.frame = located.frame;
        watch.probeHandle = located.handle;
        deadline.note(`locate: chose ${describeChosen(chosenControls(located, o))}`);
        answerInput(located, o, [...deadline.log]); // fail before paying for a solve: no answer input, or no clear one

        // ---- capture ----
        progress('capture', `${located.kind} ${located.selector}`);
        let image: CapturedImage = await timed('capture', () => guarded(ctx, 'capture', captureElement({ driver, frame: located.frame, handle: located.handle, kind: located.kind, deadline }, o.capture)));
        if (previous && image.body === previous.image.body) {
          // Same bytes as the rejected image: wait for the page's own refresh, else refresh ourselves.
          const until = Date.now() + 3000;
          let refreshed = previous.refreshed;
          while (image.body === previous.image.body && Date.now() < until) {
            if (!refreshed) {
              refreshed = true;
              const how = await refresh(ctx, located, o);
              if (!how) break;
              progress('refresh', how);
            }
            await deadline.wait(150);
            image = await timed('capture', () => guarded(ctx, 'capture', captureElement({ driver, frame: located.frame, handle: located.handle, kind: located.kind, deadline }, o.capture)));
          }
          if (image.body === previous.image.body) {
            throw new WrongAnswerError(
              `solveImageCaptcha: the page rejected ${JSON.stringify(answers[answers.length - 1])} and shows the same image again (${located.selector} in ${located.frameUrl}). Pass \`refresh\` with the selector of the refresh control`,
              { answers: [...answers], log: [...deadline.log] },
            );
          }
        }
        return { located, image };
      };
      // ---- locate + capture (again when the page re-renders the captcha in between) ----
      let located!: Located;
      let image!: CapturedImage;
      for (let round = 1; ; round++) {
        try {
          ({ located, image } = await locateAndCapture());
          break;
        } catch (err) {
          if (!(err instanceof CaptchaSolverError && err.code === 'ICS_ERR_CAPTCHA_GONE') || round >= 4) throw err;
          deadline.note('capture: the captcha was re-rendered, locating it again');
          await deadline.wait(100);
        }
      }
      lastImage = image;
      await dbg.write(`attempt-${attempt}.${image.mime.split('/')[1]?.replace('svg+xml', 'svg') ?? 'bin'}`, image.buffer);
      if (dbg.enabled) {
        const shot = await located.frame.screenshot(located.handle, { timeout: deadline.budget(5000) }).catch(() => undefined);
        if (shot) await dbg.write(`attempt-${attempt}-region.png`, shot);
      }

      // ---- solve ----
      const solver = await guarded(ctx, 'solve', solverP);
      const task: ImageToTextTask = stripUndefined({
        body: image.body,
        websiteURL: driver.url(),
        module: inputModule(o, located),
        score: o.score,
        case: o.case,
        minLength: o.minLength || undefined,
        maxLength: o.maxLength ?? inputMaxLength(o, located),
        math: o.math || undefined,
      });
      progress('solve', `${solver.name} (${image.mime}, ${image.width}×${image.height}, ${image.method})`);
      let solution: Solution;
      try {
        solution = await timed('solve', () => guarded(ctx, 'solve', solver.solve(task, { signal: deadline.signal, timeout: Number.isFinite(deadline.remaining()) ? Math.max(1, deadline.remaining()) : 0 })));
        if (!solution.text || !solution.text.trim()) throw new UnsolvableError(`solveImageCaptcha: ${solver.name} returned an empty answer`, { provider: solver.name, step: 'solve' });
      } catch (err) {
        if (err instanceof CaptchaSolverError && err.code === 'ICS_ERR_UNSOLVABLE' && attempt < maxAttempts && !deadline.aborted) {
          deadline.note(`solve: unsolvable (${err.message.slice(0, 80)}), asking for a new image`);
          const how = await refresh(ctx, located, o);
          progress('refresh', how ?? 'no refresh control');
          previous = { located, image, verdict: { outcome: 'failure', reason: 'unsolvable', navigated: false, newImage: false }, refreshed: !!how };
          continue;
        }
        throw err;
      }
      lastSolution = solution;
      const text = solution.text.trim();
      answers.push(text);
      deadline.note(`solve: ${solution.provider} answered (${text.length} chars${solution.expression ? ', the value of the arithmetic it read' : ''}) in ${solution.elapsedMs}ms`);

      // ---- act ----
      progress('act', `typing ${text.length} characters`);
      const submittedAt = Date.now();
      const how = await timed('act', async () => {
        await typeInto(ctx, located, text, o);
        if (o.submit === false) return undefined;
        await baseline(ctx, located, o);
        watch.expectNavigation(true);
        return submit(ctx, located, o);
      });

      // ---- verify ----
      if (o.verify === false || o.submit === false) {
        const result = await collected(makeResult(text, true, false, 'typed, not verified'), task, solution);
        await dbg.write(`attempt-${attempt}.json`, artifact(result, how, 'not verified'));
        progress('done', 'typed, not verified');
        return result;
      }
      progress('verify', how);
      const verdict = await timed('verify', () => verify(ctx, located, text, attempt, o, submittedAt));
      const verification = `${verdict.outcome}: ${verdict.reason}`;
      await dbg.write(`attempt-${attempt}.json`, artifact(makeResult(text, verdict.outcome !== 'failure', verdict.outcome === 'success', verification), how, verification));
      reportVerdict(solver, solution, verdict.outcome);
      if (verdict.outcome !== 'failure') {
        const result = await collected(makeResult(text, true, verdict.outcome === 'success', verification), task, solution);
        progress('done', verification);
        return result;
      }
      // ---- wrong answer ----
      if (solver.reportIncorrect) {
        const report = solver.reportIncorrect(solution, { signal: deadline.signal, timeout: deadline.budget(10_000) });
        await deadline.race(report).catch((err: unknown) => {
          if (deadline.aborted) throw deadline.signal.reason;
          deadline.note(`reportIncorrect failed: ${(err as Error).message?.slice(0, 80)}`);
        });
      }
      if (attempt >= maxAttempts) break;
      progress('retry', verdict.reason);
      let refreshed = verdict.newImage;
      if (!verdict.newImage) {
        const r = await refresh(ctx, located, o).catch((err: unknown) => {
          if (deadline.aborted || watch.failure) throw err;
          deadline.note(`refresh failed: ${(err as Error).message?.split('\n')[0]}`);
          return undefined;
        });
        if (r) progress('refresh', r);
        refreshed = !!r;
      }
      previous = { located, image, verdict, refreshed };
    }
    throw new WrongAnswerError(
      `solveImageCaptcha: the page rejected every answer (${answers.map((a) => JSON.stringify(a)).join(', ')}) after ${attempt} attempt${attempt === 1 ? '' : 's'} (${lastLocated?.selector} in ${lastLocated?.frameUrl}). Raise \`retries\`, pass \`case: true\` for case-sensitive captchas, or try another solver`,
      { answers: [...answers], log: [...deadline.log], provider: lastSolution?.provider },
    );

    function makeResult(text: string, solved: boolean, verified: boolean, verification: string): CaptchaResult {
      timings.total = deadline.elapsed();
      const img = lastImage!;
      return {
        text,
        solved,
        verified,
        verification,
        attempts: attempt,
        selector: lastLocated!.selector,
        frameUrl: lastLocated!.frameUrl,
        provider: lastSolution!.provider,
        ...(lastSolution!.taskId ? { taskId: lastSolution!.taskId } : {}),
        capture: { method: img.method, mime: img.mime, width: img.width, height: img.height, bytes: img.bytes, ...(img.animation ? { animation: img.animation } : {}) },
        image: img.body,
        timings: { ...timings },
        answers: [...answers],
        chosen: chosenControls(lastLocated!, o),
      };
    }

    /** With `collect`: writes a verified capture and notes what happened in `r.collected`. */
    async function collected(r: CaptchaResult, task: ImageToTextTask, solution: Solution): Promise<CaptchaResult> {
      if (!o.collect) return r;
      const arithmetic = Boolean(o.math || solution.expression);
      r.collected = await collectVerified({ dir: o.collect, body: task.body, text: r.text, verified: r.verified, arithmetic });
      progress('collect', describeCollect(r.collected));
      return r;
    }

    function artifact(r: CaptchaResult, how: string | undefined, outcome: string) {
      const { image: _image, ...rest } = r;
      return { ...rest, attempt, submit: how, outcome, src: lastImage?.src, log: [...deadline.log] };
    }
  } catch (err) {
    const mapped = await watch.settle(err, watch.step);
    if (mapped instanceof CaptchaSolverError) {
      if (mapped.log.length === 0) mapped.log = [...deadline.log];
      if (lastLocated && !mapped.chosen) mapped.chosen = chosenControls(lastLocated, o);
      if (lastImage && !mapped.image) mapped.image = { body: lastImage.body, mime: lastImage.mime };
    }
    throw mapped;
  } finally {
    watch.dispose();
    deadline.dispose();
  }
}
