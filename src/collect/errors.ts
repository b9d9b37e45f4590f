/**
 * Errors of the `collect` folder (src/collect): the one class core has no place for.
 */
import { CaptchaSolverError, type CaptchaSolverErrorOptions } from '../core/errors.js';

/**
 * A verified capture could not be written to the `collect` folder (unwritable or not a folder, the lock stayed
 * busy, an answer a TSV row cannot hold), or `readCollection()` met a folder it cannot read (no `labels.tsv`, a
 * malformed row). `code` is `ICS_ERR_COLLECT`; `dir` is the folder; the file system's own error is the `cause`.
 * The page flow never throws it: it reports it in `result.collected` (the solve itself succeeded).
 */
export class CollectError extends CaptchaSolverError {
  readonly dir: string;
  constructor(message: string, options: CaptchaSolverErrorOptions & { dir: string }) {
    const { dir, ...rest } = options;
    super(message, { code: 'ICS_ERR_COLLECT', ...rest, retryable: false });
    this.dir = dir;
  }
}

/** Type guard that works across two installed copies of the package. */
export function isCollectError(value: unknown): value is CollectError {
  return value instanceof CaptchaSolverError && value.name === 'CollectError';
}
