/**
 * Shared by the examples: where the fixture site is, how to launch Chromium here, and a Solver that asks the
 * fixture site for the answer (deterministic, for examples about wiring rather than recognition).
 *
 * - `FIXTURE_URL` set (the examples test does this): use that running site.
 * - otherwise: start the fixture site in-process (repository checkout only: it is TypeScript under fixtures/).
 */
import type { Solver } from 'image-captcha-solver';
import { createHttpFixtureSolver, startFixtureServer } from '../fixtures/site/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/support/chromium.js';

export { CHROMIUM_ARGS, CHROMIUM_PATH };

export interface Site {
  /** Origin of the fixture site, no trailing slash. */
  url: string;
  close(): Promise<void>;
}

export async function fixtureSite(): Promise<Site> {
  const fromEnv = process.env.FIXTURE_URL;
  if (fromEnv) return { url: fromEnv.replace(/\/+$/, ''), close: async () => {} };
  const server = await startFixtureServer();
  return { url: server.url.replace(/\/+$/, ''), close: async () => void (await server.close()) };
}

/**
 * A Solver (the library's one-method seam) that asks the fixture site which answer it issued for this image
 * (`POST /__fixture/answer`). Real code passes `'local'`, `'capsolver'`, … or a solver instance instead.
 */
export function fixtureSolver(siteUrl: string, options: { wrongFirst?: number } = {}): Solver {
  return createHttpFixtureSolver(siteUrl, options);
}

/** Prints the summary line the examples test reads (the last stdout line, JSON). */
export function report(summary: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}
