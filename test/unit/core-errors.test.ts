import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  AuthError,
  BalanceError,
  CaptchaNotFoundError,
  CaptchaSolverError,
  InvalidImageError,
  InvalidOptionError,
  PageClosedError,
  ProviderError,
  ProviderUnavailableError,
  RateLimitError,
  SubmitError,
  TimeoutError,
  UnsolvableError,
  WrongAnswerError,
  isAuthError,
  isCaptchaNotFoundError,
  isCaptchaSolverError,
  isInvalidImageError,
  isPageClosedError,
  isRateLimitError,
  isSubmitError,
  isTimeoutError,
  isWrongAnswerError,
} from '../../src/core/errors.js';
import { REDACTED, registerSecret } from '../../src/core/redact.js';

describe('core errors', () => {
  it('gives every class its default code, name and retryable flag', () => {
    const cases: Array<[CaptchaSolverError, string, string, boolean]> = [
      [new InvalidOptionError('x'), 'InvalidOptionError', 'ICS_ERR_INVALID_OPTION', false],
      [new AuthError('x'), 'AuthError', 'ICS_ERR_AUTH', false],
      [new BalanceError('x'), 'BalanceError', 'ICS_ERR_BALANCE', false],
      [new PageClosedError('x'), 'PageClosedError', 'ICS_ERR_PAGE_CLOSED', false],
      [new RateLimitError('x'), 'RateLimitError', 'ICS_ERR_RATE_LIMIT', true],
      [new ProviderUnavailableError('x'), 'ProviderUnavailableError', 'ICS_ERR_PROVIDER_UNAVAILABLE', true],
      [new ProviderError('x'), 'ProviderError', 'ICS_ERR_PROVIDER', false],
      [new UnsolvableError('x'), 'UnsolvableError', 'ICS_ERR_UNSOLVABLE', true],
      [new WrongAnswerError('x'), 'WrongAnswerError', 'ICS_ERR_WRONG_ANSWER', true],
      [new CaptchaNotFoundError('x'), 'CaptchaNotFoundError', 'ICS_ERR_CAPTCHA_NOT_FOUND', false],
      [new InvalidImageError('x'), 'InvalidImageError', 'ICS_ERR_INVALID_IMAGE', false],
      [new TimeoutError('x'), 'TimeoutError', 'ICS_ERR_TIMEOUT', false],
      [new SubmitError('x'), 'SubmitError', 'ICS_ERR_SUBMIT', false],
    ];
    for (const [err, name, code, retryable] of cases) {
      expect(err.name).toBe(name);
      expect(err.code).toBe(code);
      expect(err.retryable).toBe(retryable);
      expect(err).toBeInstanceOf(Error);
      expect(err).toBeInstanceOf(CaptchaSolverError);
      expect(isCaptchaSolverError(err)).toBe(true);
    }
  });

  it('keeps a provider code but never lets fatal classes become retryable', () => {
    const auth = new AuthError('a', { code: 'ERROR_KEY_DOES_NOT_EXIST', retryable: true });
    expect(auth.code).toBe('ERROR_KEY_DOES_NOT_EXIST');
    expect(auth.retryable).toBe(false);
    expect(new BalanceError('b', { retryable: true }).retryable).toBe(false);
    expect(new InvalidImageError('c', { retryable: true }).retryable).toBe(false);
    expect(new RateLimitError('d', { retryable: false }).retryable).toBe(true);
    expect(new ProviderError('e', { code: 'ERROR_X', retryable: true }).retryable).toBe(true);
    expect(new UnsolvableError('f', { retryable: false }).retryable).toBe(false);
  });

  it('appends the hint to the message and keeps the fields', () => {
    const cause = new Error('socket hang up');
    const err = new ProviderError('CapSolver.solve: ERROR_X boom (POST https://api/x, HTTP 400)', {
      hint: 'Do the thing',
      provider: 'capsolver',
      status: 400,
      description: 'boom',
      step: 'solve',
      log: ['1ms a'],
      cause,
    });
    expect(err.message).toBe('CapSolver.solve: ERROR_X boom (POST https://api/x, HTTP 400). Do the thing');
    expect(err.hint).toBe('Do the thing');
    expect(err.provider).toBe('capsolver');
    expect(err.status).toBe(400);
    expect(err.description).toBe('boom');
    expect(err.step).toBe('solve');
    expect(err.log).toEqual(['1ms a']);
    expect(err.cause).toBe(cause);
    expect(new ProviderError('no cause')).not.toHaveProperty('cause');
  });

  it('carries class-specific fields', () => {
    expect(new RateLimitError('r', { retryAfterMs: 1500 }).retryAfterMs).toBe(1500);
    expect(new TimeoutError('t', { timeout: 30 }).timeout).toBe(30);
    expect(new WrongAnswerError('w', { answers: ['a', 'b'] }).answers).toEqual(['a', 'b']);
    expect(new WrongAnswerError('w').step).toBe('verify');
    expect(new CaptchaNotFoundError('n').step).toBe('locate');
  });

  it('brand-checks across copies: a plain object with the brand passes, a look-alike does not', () => {
    const foreign = Object.assign(new Error('x'), { code: 'ICS_ERR_TIMEOUT', name: 'TimeoutError' });
    expect(isCaptchaSolverError(foreign)).toBe(false);
    expect(foreign instanceof CaptchaSolverError).toBe(false);
    const branded = Object.defineProperty(Object.assign(new Error('x'), { name: 'TimeoutError' }), Symbol.for('image-captcha-solver.error'), { value: true });
    expect(isCaptchaSolverError(branded)).toBe(true);
    expect(branded instanceof CaptchaSolverError).toBe(true);
    expect(isTimeoutError(branded)).toBe(true);
    // Subclass instanceof stays prototype-based.
    expect(new AuthError('a') instanceof RateLimitError).toBe(false);
    expect(isCaptchaSolverError(null)).toBe(false);
    expect(isCaptchaSolverError('TimeoutError')).toBe(false);
  });

  it('has one guard per documented class', () => {
    expect(isTimeoutError(new TimeoutError('t'))).toBe(true);
    expect(isTimeoutError(new AuthError('t'))).toBe(false);
    expect(isRateLimitError(new RateLimitError('r'))).toBe(true);
    expect(isAuthError(new AuthError('a'))).toBe(true);
    expect(isCaptchaNotFoundError(new CaptchaNotFoundError('n'))).toBe(true);
    expect(isInvalidImageError(new InvalidImageError('i'))).toBe(true);
    expect(isWrongAnswerError(new WrongAnswerError('w'))).toBe(true);
    expect(isPageClosedError(new PageClosedError('p'))).toBe(true);
    expect(isPageClosedError(new Error('p'))).toBe(false);
    expect(isSubmitError(new SubmitError('s'))).toBe(true);
    expect(isSubmitError(new PageClosedError('s'))).toBe(false);
  });

  it('redacts registered keys and key-like fields from message and description', () => {
    const key = 'CAP-ERRTEST-0123456789ABCDEF';
    registerSecret(key);
    const err = new AuthError(`CapSolver.solve: bad key ${key} (POST https://x?key=abc123)`, {
      description: `key ${key} refused, body {"clientKey":"other-secret-999"}`,
    });
    expect(err.message).not.toContain(key);
    expect(err.message).toContain(REDACTED);
    expect(err.message).not.toContain('abc123');
    expect(err.description).not.toContain(key);
    expect(err.description).not.toContain('other-secret-999');
    expect(inspect(err)).not.toContain(key);
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain(key);
  });

  // Core bug (reported to the lead): the constructor redacts the message but stores `options.hint` raw, so a
  // key in a hint shows in `err.hint`, `util.inspect(err)` and JSON. Fix: `this.hint = options.hint === undefined
  // ? undefined : redactText(options.hint);` (and likewise map `log` lines through redactText).
  it('redacts a key that reaches the hint field', () => {
    const key = 'CAP-HINTTEST-0123456789ABCDEF';
    registerSecret(key);
    const err = new AuthError('CapSolver.solve: refused', { hint: `Check the key ${key}` });
    expect(err.message).not.toContain(key);
    expect(err.hint).not.toContain(key);
    expect(inspect(err)).not.toContain(key);
  });
});
