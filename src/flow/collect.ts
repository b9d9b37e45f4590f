/**
 * What the flow does with the page's verdict besides returning it: tells the solver (`Solver.feedback`) and, with
 * `collect`, keeps a verified capture and its answer in the collect folder (src/collect). Neither may fail a solve
 * that succeeded: a collect failure is reported in `result.collected` and through `onProgress`.
 */
import { collectSample, type CollectError } from '../collect/index.js';
import { InvalidOptionError } from '../core/errors.js';
import type { Solution, Solver } from '../core/types.js';

/** What `collect` did with this result (`CaptchaResult.collected`). */
export interface CollectOutcome {
  /** The folder (as passed). */
  dir: string;
  /**
   * `added`: the image and a row were written; `duplicate`: these bytes already had a row; `skipped`: not written
   * (`reason`: not verified, or an arithmetic answer); `failed`: the folder could not be written (`error`).
   */
  status: 'added' | 'duplicate' | 'skipped' | 'failed';
  /** `<sha1>.<ext>` inside `dir` (added or duplicate). */
  file?: string;
  /** The label (added or duplicate). */
  text?: string;
  reason?: string;
  error?: CollectError;
}

/** Throws InvalidOptionError unless `collect` is undefined or a non-empty string. */
export function validateCollect(collect: unknown): void {
  if (collect === undefined || (typeof collect === 'string' && collect.trim() !== '')) return;
  throw new InvalidOptionError(`solveImageCaptcha: \`collect\` must be a folder path, got ${JSON.stringify(collect)}`, {
    hint: "Pass a folder such as './captchas/shop', or leave `collect` out",
  });
}

export interface CollectInput {
  dir: string;
  /** The task body: base64 of the exact bytes the solver read. */
  body: string;
  /** The answer typed. */
  text: string;
  verified: boolean;
  /** `math: true`, or the solver computed the answer from an expression. */
  arithmetic: boolean;
}

/** Writes a verified capture; resolves to what happened, never rejects. */
export async function collectVerified(input: CollectInput): Promise<CollectOutcome> {
  const { dir } = input;
  if (!input.verified) return { dir, status: 'skipped', reason: 'the page did not confirm the answer' };
  if (input.arithmetic) return { dir, status: 'skipped', reason: 'an arithmetic answer is not the text the image shows' };
  try {
    const sample = await collectSample(dir, Buffer.from(input.body, 'base64'), input.text);
    return { dir, ...sample };
  } catch (error) {
    return { dir, status: 'failed', reason: (error as Error).message, error: error as CollectError };
  }
}

/** One line for `onProgress`. */
export function describeCollect(c: CollectOutcome): string {
  return c.status === 'added' || c.status === 'duplicate' ? `${c.status} ${c.file}` : `${c.status}: ${c.reason}`;
}

/** Tells the solver whether the page accepted `solution` (no call when the page said neither). Never throws. */
export function reportVerdict(solver: Solver, solution: Solution, outcome: 'success' | 'failure' | 'unknown'): void {
  if (outcome === 'unknown' || !solver.feedback) return;
  try {
    solver.feedback(solution, outcome === 'success');
  } catch {
    // feedback is bookkeeping: it must not break the flow
  }
}
