/**
 * Errors of the offline solver that core has no class for.
 */
import { CaptchaSolverError, type CaptchaSolverErrorOptions } from '../../core/errors.js';

/**
 * The ONNX model or its JSON sidecar is missing, unreadable, corrupt, or does not match the sidecar
 * (wrong input/output names, unexpected output shape). Not retryable: fix the install or the `model` option.
 * `code` is `ICS_ERR_MODEL`, `provider` is `local`.
 */
export class ModelError extends CaptchaSolverError {
  constructor(message: string, options: CaptchaSolverErrorOptions = {}) {
    super(message, { code: 'ICS_ERR_MODEL', provider: 'local', step: 'solve', ...options, retryable: false });
  }
}

/** Type guard that works across two installed copies of the package. */
export function isModelError(value: unknown): value is ModelError {
  return value instanceof CaptchaSolverError && value.name === 'ModelError';
}
