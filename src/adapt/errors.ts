/**
 * The error `adaptModel` (and `image-captcha adapt`) throws when it refuses its input: `reason` says why, and the
 * fields name what to fix. Not retryable: fix the folder, the labels or the options. `code` is `ICS_ERR_ADAPT`.
 */
import { CaptchaSolverError, type CaptchaSolverErrorOptions } from '../core/errors.js';

export type AdaptErrorReason = 'too-few-images' | 'unreadable-images' | 'unknown-characters' | 'bad-labels' | 'out-exists' | 'invalid-option';

export interface AdaptErrorOptions extends CaptchaSolverErrorOptions {
  reason: AdaptErrorReason;
  /** The files at fault (`unreadable-images`, `bad-labels`). */
  files?: string[];
  /** The label characters the model cannot output (`unknown-characters`). */
  characters?: string[];
}

export class AdaptError extends CaptchaSolverError {
  readonly reason: AdaptErrorReason;
  readonly files: string[];
  readonly characters: string[];
  constructor(message: string, options: AdaptErrorOptions) {
    super(message, { code: 'ICS_ERR_ADAPT', provider: 'local', ...options, retryable: false });
    this.reason = options.reason;
    this.files = options.files ?? [];
    this.characters = options.characters ?? [];
  }
}

/** Type guard that works across two installed copies of the package. */
export function isAdaptError(value: unknown): value is AdaptError {
  return value instanceof CaptchaSolverError && value.name === 'AdaptError';
}
