/**
 * One error hierarchy for the whole package. Match on `err.code` (stable strings) or use the guards.
 *
 * Grouped by what the flow does next:
 * - fatal: InvalidOptionError, AuthError, BalanceError, PageClosedError
 * - same image, with backoff: RateLimitError, ProviderUnavailableError
 * - refresh, new image: UnsolvableError, WrongAnswerError
 * - input, no retry: CaptchaNotFoundError, InvalidImageError, InputAmbiguousError, InputTypingError, SubmitError
 * - stop now: TimeoutError (an aborted call rejects with `signal.reason` itself)
 *
 * Messages never contain API keys: every constructor runs its message through the redactor.
 */
import type { Step } from './types.js';
import { redactText } from './redact.js';

const BRAND = Symbol.for('image-captcha-solver.error');

export interface CaptchaSolverErrorOptions {
  /** Stable code: a provider's own errorCode (`ERROR_ZERO_BALANCE`) or ours (`ICS_ERR_…`). */
  code?: string;
  retryable?: boolean;
  step?: Step;
  /** What the user can do about it. Appended to the message. */
  hint?: string;
  /** Which provider raised it (`capsolver`, `local`, …). */
  provider?: string;
  /** The provider's own description, verbatim (redacted). */
  description?: string;
  /** HTTP status, where one was involved. */
  status?: number;
  /** What was tried, in order (like Playwright's "Call log"). */
  log?: string[];
  cause?: unknown;
}

/** One control the page flow chose (answer input, submit, refresh): how to find it and why it was chosen. */
export interface ChosenControl {
  /** A readable selector; absent when nothing is clicked (`method` `enter`, `form-submit`, `click-image`). */
  selector?: string;
  /** For submit and refresh: `click`, `enter`, `form-submit`, `click-image`, or `option` (you named it). */
  method?: string;
  reasons: string[];
}

/** See {@link CaptchaSolverError.chosen}. */
export interface ChosenControls {
  input?: ChosenControl;
  submit?: ChosenControl;
  refresh?: ChosenControl;
}

/** See {@link CaptchaSolverError.image}. */
export interface FailedImage {
  body: string;
  mime: string;
}

export class CaptchaSolverError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  step?: Step;
  readonly hint?: string;
  readonly provider?: string;
  readonly description?: string;
  readonly status?: number;
  log: string[];
  /**
   * The last captcha image the page flow read before it failed (base64 body without `data:` prefix, and its
   * MIME type), where the flow got that far; `undefined` otherwise. Not enumerable, so logs and JSON stay small.
   */
  declare image?: FailedImage;
  /** The answer input, submit and refresh control the page flow had chosen when it failed, and why; `undefined` before a captcha was located. */
  chosen?: ChosenControls;

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === CaptchaSolverError) return isCaptchaSolverError(value);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  constructor(message: string, options: CaptchaSolverErrorOptions = {}) {
    const full = options.hint ? `${message}${/[.!?]$/.test(message) ? '' : '.'} ${options.hint}` : message;
    super(redactText(full), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? 'ICS_ERR';
    this.retryable = options.retryable ?? false;
    this.step = options.step;
    this.hint = options.hint === undefined ? undefined : redactText(options.hint);
    this.provider = options.provider;
    this.description = options.description === undefined ? undefined : redactText(options.description);
    this.status = options.status;
    this.log = options.log ?? [];
    Object.defineProperty(this, BRAND, { value: true });
    Object.defineProperty(this, 'image', { value: undefined, writable: true, enumerable: false, configurable: true });
  }
}

/** Bad options or task fields: fix the call. */
export class InvalidOptionError extends CaptchaSolverError {
  constructor(message: string, options: CaptchaSolverErrorOptions = {}) {
    super(message, { code: 'ICS_ERR_INVALID_OPTION', ...options, retryable: false });
  }
}

/** The API key is missing, wrong, blocked or denied. */
export class AuthError extends CaptchaSolverError {
  constructor(message: string, options: CaptchaSolverErrorOptions = {}) {
    super(message, { code: 'ICS_ERR_AUTH', ...options, retryable: false });
  }
}

/** The account has no funds left. */
export class BalanceError extends CaptchaSolverError {
  constructor(message: string, options: CaptchaSolverErrorOptions = {}) {
    super(message, { code: 'ICS_ERR_BALANCE', ...options, retryable: false });
  }
}

/** The page was closed, the frame detached, or the page navigated away mid-solve. */
export class PageClosedError extends CaptchaSolverError {
  constructor(message: string, options: CaptchaSolverErrorOptions = {}) {
    super(message, { code: 'ICS_ERR_PAGE_CLOSED', ...options, retryable: false });
  }
}

/** 429 or a rate-limit code. `retryAfterMs` holds the provider's Retry-After when it sent one. */
export class RateLimitError extends CaptchaSolverError {
  readonly retryAfterMs?: number;
  constructor(message: string, options: CaptchaSolverErrorOptions & { retryAfterMs?: number } = {}) {
    super(message, { code: 'ICS_ERR_RATE_LIMIT', ...options, retryable: true });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** 5xx, network failure, malformed response, or a service-unavailable code. */
export class ProviderUnavailableError extends CaptchaSolverError {
  constructor(message: string, options: CaptchaSolverErrorOptions = {}) {
    super(message, { code: 'ICS_ERR_PROVIDER_UNAVAILABLE', retryable: true, ...options });
  }
}

/** Any other provider error code (e.g. ERROR_INVALID_TASK_DATA); `retryable` as the provider's code implies. */
export class ProviderError extends CaptchaSolverError {
  constructor(message: string, options: CaptchaSolverErrorOptions = {}) {
    super(message, { code: 'ICS_ERR_PROVIDER', ...options });
  }
}

/** The solver could not read this image (or not confidently enough): refresh and try a new one. */
export class UnsolvableError extends CaptchaSolverError {
  constructor(message: string, options: CaptchaSolverErrorOptions = {}) {
    super(message, { code: 'ICS_ERR_UNSOLVABLE', retryable: true, ...options });
  }
}

/** The page rejected every answer. `answers` lists each one tried. */
export class WrongAnswerError extends CaptchaSolverError {
  readonly answers: string[];
  constructor(message: string, options: CaptchaSolverErrorOptions & { answers?: string[] } = {}) {
    super(message, { code: 'ICS_ERR_WRONG_ANSWER', retryable: true, step: 'verify', ...options });
    this.answers = options.answers ?? [];
  }
}

/** No captcha matched: the message says what was searched and in which frames. */
export class CaptchaNotFoundError extends CaptchaSolverError {
  constructor(message: string, options: CaptchaSolverErrorOptions = {}) {
    super(message, { code: 'ICS_ERR_CAPTCHA_NOT_FOUND', step: 'locate', ...options, retryable: false });
  }
}

/** The answer was typed but could not be submitted: the submit control is disabled, or nothing (no request, navigation or DOM change) followed the submit. */
export class SubmitError extends CaptchaSolverError {
  constructor(message: string, options: CaptchaSolverErrorOptions = {}) {
    super(message, { code: 'ICS_ERR_SUBMIT', step: 'act', ...options, retryable: false });
  }
}

/** An input that could be the answer input, with its rank score and the reasons. */
export interface InputContender {
  selector: string;
  score: number;
  reasons: string[];
}

/** No input is clearly the answer input: nothing was typed. `candidates` lists the contenders, best first. */
export class InputAmbiguousError extends CaptchaSolverError {
  readonly candidates: InputContender[];
  constructor(message: string, options: CaptchaSolverErrorOptions & { candidates?: InputContender[] } = {}) {
    super(message, { code: 'ICS_ERR_INPUT_AMBIGUOUS', step: 'act', ...options, retryable: false });
    this.candidates = options.candidates ?? [];
  }
}

/**
 * Typing went wrong: the answer did not land in the answer input, or another field changed while typing (that field
 * was restored). `changed` names the fields (never their values).
 */
export class InputTypingError extends CaptchaSolverError {
  readonly changed: string[];
  constructor(message: string, options: CaptchaSolverErrorOptions & { changed?: string[] } = {}) {
    super(message, { code: 'ICS_ERR_INPUT_TYPING', step: 'act', ...options, retryable: false });
    this.changed = options.changed ?? [];
  }
}

/** The image is empty, broken, not an image, or too big. */
export class InvalidImageError extends CaptchaSolverError {
  constructor(message: string, options: CaptchaSolverErrorOptions = {}) {
    super(message, { code: 'ICS_ERR_INVALID_IMAGE', ...options, retryable: false });
  }
}

/** The overall deadline passed. */
export class TimeoutError extends CaptchaSolverError {
  readonly timeout?: number;
  constructor(message: string, options: CaptchaSolverErrorOptions & { timeout?: number } = {}) {
    super(message, { code: 'ICS_ERR_TIMEOUT', ...options, retryable: false });
    this.timeout = options.timeout;
  }
}

export function isCaptchaSolverError(value: unknown): value is CaptchaSolverError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

function guard<T extends CaptchaSolverError>(name: string) {
  return (value: unknown): value is T => isCaptchaSolverError(value) && value.name === name;
}

export const isTimeoutError = guard<TimeoutError>('TimeoutError');
export const isRateLimitError = guard<RateLimitError>('RateLimitError');
export const isAuthError = guard<AuthError>('AuthError');
export const isCaptchaNotFoundError = guard<CaptchaNotFoundError>('CaptchaNotFoundError');
export const isInvalidImageError = guard<InvalidImageError>('InvalidImageError');
export const isWrongAnswerError = guard<WrongAnswerError>('WrongAnswerError');
export const isPageClosedError = guard<PageClosedError>('PageClosedError');
export const isSubmitError = guard<SubmitError>('SubmitError');
export const isInputAmbiguousError = guard<InputAmbiguousError>('InputAmbiguousError');
export const isInputTypingError = guard<InputTypingError>('InputTypingError');
