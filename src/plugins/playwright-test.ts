/**
 * `image-captcha-solver/test`: fixtures for `@playwright/test`.
 *
 * ```ts
 * import { test as base, expect } from '@playwright/test';
 * import { captchaFixtures } from 'image-captcha-solver/test';
 * const test = base.extend(captchaFixtures);
 * test.use({ imageCaptchaOptions: { solver: 'local' } });
 *
 * test('logs in', async ({ page, solveImageCaptcha }) => {
 *   await page.goto('/login');
 *   const result = await solveImageCaptcha();
 *   expect(result.solved).toBe(true);
 * });
 * ```
 *
 * - `solveImageCaptcha(selectorOrOptions?, options?)` is bound to the test's `page`; the recorder
 *   (`attachImageRecorder`) is attached before the test body runs, so one-time image URLs are captured.
 * - Each call attaches to the report: the captured image, and a JSON with the answer, attempts and timings
 *   (on failure, the error's code, message and the answers tried, plus the last image read — `error.image` —
 *   when the call got that far). Turn off with `imageCaptchaAttach: false`.
 * - Options: `imageCaptchaOptions` (flow options for every call; a call's own options win) and
 *   `imageCaptchaAttach`, set with `test.use({...})` or in the config's `use`.
 *
 * Only `import type` from `@playwright/test`: this entry adds no runtime dependency and never loads a second
 * copy of the test runner.
 */
import type { Fixtures, PlaywrightTestArgs, PlaywrightTestOptions, PlaywrightWorkerArgs, PlaywrightWorkerOptions, TestInfo } from '@playwright/test';
import { attachImageRecorder, solveImageCaptcha, solveImageCaptchas } from '../flow/index.js';
import { isCaptchaSolverError } from '../core/errors.js';
import { redactValue } from '../core/redact.js';
import type { Solver } from '../core/types.js';
import { createSolver, type SolverName } from '../solvers/registry.js';

type SolveOneOptions = NonNullable<Parameters<typeof solveImageCaptcha>[2]>;
type SolveManyOptions = NonNullable<Parameters<typeof solveImageCaptchas>[1]>;
type FlowPage = Parameters<typeof solveImageCaptcha>[0];

/** What the `solveImageCaptcha` fixture resolves to. */
export type CaptchaFixtureResult = Awaited<ReturnType<typeof solveImageCaptcha>>;
export type CaptchaFixtureResults = Awaited<ReturnType<typeof solveImageCaptchas>>;

/** The solve function the fixture hands to a test, bound to the test's page. */
export interface SolveImageCaptchaFixture {
  (selectorOrOptions?: string | SolveOneOptions, options?: SolveOneOptions): Promise<CaptchaFixtureResult>;
}
export interface SolveImageCaptchasFixture {
  (options?: SolveManyOptions): Promise<CaptchaFixtureResults>;
}

/** Flow options for the fixtures; `solver` may also be a name, turned into one solver per worker. */
export type CaptchaFixtureFlowOptions = Omit<SolveOneOptions, 'solver'> & { solver?: Solver | SolverName };

/** Fixture options (`test.use({ ... })` or the config's `use`). */
export interface CaptchaFixtureOptions {
  /**
   * Flow options applied to every call (solver, input, submit, retries, timeout, …); a call's own options win.
   * A solver name (`'local'`, `'capsolver'`, …) makes one solver per worker, closed when the worker ends.
   * @default {}
   */
  imageCaptchaOptions: CaptchaFixtureFlowOptions;
  /** Attach the captured image and a JSON summary to the test report for every call. @default true */
  imageCaptchaAttach: boolean;
}

/** Worker-scoped: solvers created from names, shared by the worker's tests. Internal (boxed). */
export interface CaptchaWorkerFixtures {
  _imageCaptchaSolvers: Map<string, Solver>;
}

export interface CaptchaTestFixtures {
  /** Solves one image captcha on the test's page. */
  solveImageCaptcha: SolveImageCaptchaFixture;
  /** Solves every image captcha on the test's page. */
  solveImageCaptchas: SolveImageCaptchasFixture;
}

/** Everything `captchaFixtures` adds: pass it as the type argument of `test.extend<CaptchaFixtures>()`. */
export type CaptchaFixtures = CaptchaTestFixtures & CaptchaFixtureOptions;

type Base = PlaywrightTestArgs & PlaywrightTestOptions;
type WorkerBase = PlaywrightWorkerArgs & PlaywrightWorkerOptions;

function extension(mime: string): string {
  return mime.split('/')[1]?.replace('svg+xml', 'svg').replace('jpeg', 'jpg') ?? 'png';
}

function attachable(testInfo: TestInfo, enabled: boolean) {
  let n = 0;
  return async (result: unknown, error?: unknown) => {
    if (!enabled) return;
    n += 1;
    const suffix = n === 1 ? '' : `-${n}`;
    const r = (result ?? {}) as Record<string, unknown>;
    const capture = r.capture as { mime?: string } | undefined;
    if (typeof r.image === 'string' && r.image.length > 0) {
      const mime = capture?.mime && capture.mime.startsWith('image/') ? capture.mime : 'image/png';
      await testInfo.attach(`image-captcha${suffix}.${extension(mime)}`, { body: Buffer.from(r.image, 'base64'), contentType: mime });
    } else if (isCaptchaSolverError(error) && error.image) {
      // a failed call that got as far as reading the captcha: attach the last image it read
      const { body, mime } = error.image;
      await testInfo.attach(`image-captcha${suffix}.${extension(mime)}`, { body: Buffer.from(body, 'base64'), contentType: mime });
    }
    const summary: Record<string, unknown> = {};
    for (const key of ['text', 'solved', 'verified', 'attempts', 'answers', 'selector', 'provider', 'taskId', 'capture', 'timings']) {
      if (r[key] !== undefined) summary[key] = r[key];
    }
    if (error !== undefined) {
      summary.error = isCaptchaSolverError(error)
        ? { name: error.name, code: error.code, message: error.message, step: error.step, answers: (error as { answers?: unknown }).answers }
        : { name: (error as Error)?.name, message: String((error as Error)?.message ?? error) };
    }
    await testInfo.attach(`image-captcha${suffix}.json`, { body: JSON.stringify(redactValue(summary), null, 2), contentType: 'application/json' });
  };
}

/** Pass to `test.extend(captchaFixtures)`. */
function resolveSolver(options: CaptchaFixtureFlowOptions, cache: Map<string, Solver>): SolveOneOptions {
  if (typeof options.solver !== 'string') return options as SolveOneOptions;
  let solver = cache.get(options.solver);
  if (!solver) {
    solver = createSolver(options.solver);
    cache.set(options.solver, solver);
  }
  return { ...options, solver } as SolveOneOptions;
}

export const captchaFixtures: Fixtures<CaptchaFixtures, CaptchaWorkerFixtures, Base, WorkerBase> = {
  imageCaptchaOptions: [{}, { option: true }],
  imageCaptchaAttach: [true, { option: true }],

  _imageCaptchaSolvers: [
    async ({}, use) => {
      const cache = new Map<string, Solver>();
      await use(cache);
      for (const solver of cache.values()) await solver.close?.().catch(() => {});
    },
    { scope: 'worker', box: true } as { scope: 'worker' },
  ],

  solveImageCaptcha: async ({ page, imageCaptchaOptions, imageCaptchaAttach, _imageCaptchaSolvers }, use, testInfo) => {
    attachImageRecorder(page as unknown as FlowPage);
    const attach = attachable(testInfo, imageCaptchaAttach);
    await use(async (selectorOrOptions?: string | SolveOneOptions, options?: SolveOneOptions) => {
      const selector = typeof selectorOrOptions === 'string' ? selectorOrOptions : undefined;
      const merged = resolveSolver(
        { ...imageCaptchaOptions, ...(typeof selectorOrOptions === 'object' ? selectorOrOptions : {}), ...(options ?? {}) } as CaptchaFixtureFlowOptions,
        _imageCaptchaSolvers,
      );
      try {
        const result = selector === undefined ? await solveImageCaptcha(page as FlowPage, merged) : await solveImageCaptcha(page as FlowPage, selector, merged);
        await attach(result);
        return result;
      } catch (error) {
        await attach(undefined, error).catch(() => {});
        throw error;
      }
    });
  },

  solveImageCaptchas: async ({ page, imageCaptchaOptions, imageCaptchaAttach, _imageCaptchaSolvers }, use, testInfo) => {
    attachImageRecorder(page as unknown as FlowPage);
    const attach = attachable(testInfo, imageCaptchaAttach);
    await use(async (options?: SolveManyOptions) => {
      try {
        const merged = resolveSolver({ ...imageCaptchaOptions, ...(options ?? {}) } as CaptchaFixtureFlowOptions, _imageCaptchaSolvers);
        const results = await solveImageCaptchas(page as FlowPage, merged as SolveManyOptions);
        const all = results as unknown as { results: unknown[]; errors: Array<{ error: unknown }> };
        for (const r of all.results) await attach(r);
        for (const e of all.errors) await attach(undefined, e.error);
        return results;
      } catch (error) {
        await attach(undefined, error).catch(() => {});
        throw error;
      }
    });
  },
};

export default captchaFixtures;
