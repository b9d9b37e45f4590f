/**
 * The one JSON-over-HTTP client every cloud provider uses (CapSolver, Anti-Captcha, CapMonster Cloud,
 * 2Captcha). It owns:
 * - a per-attempt timeout (`attemptTimeout`) under the call's overall {@link Deadline};
 * - retries with exponential backoff and full jitter on network errors, 429, 5xx and the provider codes
 *   that mean "the same request may succeed later" (they map to RateLimitError / ProviderUnavailableError);
 * - `Retry-After` (seconds or an HTTP date), never waiting past the deadline or `retry.maxRetryAfter`;
 * - the mapping of provider error bodies (`errorId` ≠ 0, in HTTP 200 and in 4xx bodies) to our errors,
 *   through one table per provider ({@link ErrorTable});
 * - malformed, empty or non-JSON bodies → ProviderUnavailableError with the status and a redacted excerpt.
 *
 * An abort rejects with the caller's `signal.reason` itself, the overall timeout with TimeoutError; backoff
 * sleeps are abortable and every timer and listener is cleared when the attempt ends.
 */
import { request, type Dispatcher } from 'undici';
import type { Deadline } from '../core/deadline.js';
import {
  AuthError,
  BalanceError,
  CaptchaSolverError,
  InvalidImageError,
  ProviderError,
  ProviderUnavailableError,
  RateLimitError,
  UnsolvableError,
  isCaptchaSolverError,
  type CaptchaSolverErrorOptions,
} from '../core/errors.js';
import { debug } from '../core/log.js';
import { redactText } from '../core/redact.js';

/** Backoff between attempts. Delays are in ms; the wait before retry `n` (0-based) is a random value in
 * `[0, min(maxDelay, minDelay * factor^n)]` ("full jitter"), unless the provider sent `Retry-After`. */
export interface RetryOptions {
  /** Upper bound of the first backoff. @default 500 */
  minDelay?: number;
  /** Cap on any single backoff. @default 10000 */
  maxDelay?: number;
  /** Growth per retry. @default 2 */
  factor?: number;
  /** A `Retry-After` longer than this is not waited for: the RateLimitError is thrown instead. @default 60000 */
  maxRetryAfter?: number;
}

/** Options every cloud solver takes. */
export interface CloudSolverOptions {
  /** The account key. Defaults to the provider's environment variable (e.g. `CAPSOLVER_API_KEY`). */
  apiKey?: string;
  /** API origin, for a proxy, a self-hosted compatible server or tests. Defaults to the provider's own. */
  baseUrl?: string;
  /** Overall budget of one `solve()` in ms, retries and polling included; 0 = no limit. */
  timeout?: number;
  /** Budget of one HTTP request in ms (connect, headers and body). @default 30000 */
  attemptTimeout?: number;
  /** Retries after the first attempt of each request, for network errors, 429, 5xx and retryable codes. @default 2 */
  retries?: number;
  /** Backoff tuning. */
  retry?: RetryOptions;
  /** An undici Dispatcher (`Agent`, `ProxyAgent`, `Pool`…) to send requests through. @default undici's global dispatcher */
  dispatcher?: Dispatcher;
}

/** Defaults shared by all cloud solvers, in one block. */
export const HTTP_DEFAULTS = {
  attemptTimeout: 30_000,
  retries: 2,
  retry: { minDelay: 500, maxDelay: 10_000, factor: 2, maxRetryAfter: 60_000 } satisfies Required<RetryOptions>,
  /** Responses larger than this are cut off (the APIs answer a few hundred bytes). */
  maxResponseBytes: 1024 * 1024,
} as const;

/** Which error class a provider code becomes. */
export type ErrorKind = 'auth' | 'balance' | 'rate' | 'unavailable' | 'unsolvable' | 'image' | 'provider';

export interface ErrorSpec {
  kind: ErrorKind;
  /** For `provider` and `unsolvable`: may a later attempt (a new task) succeed? Others are fixed by their class. */
  retryable?: boolean;
  /** What the user can do. */
  hint: string;
}

/** Provider `errorCode` → what it means to us. */
export type ErrorTable = Readonly<Record<string, ErrorSpec>>;

export type JsonObject = Record<string, unknown>;

export interface JsonClientConfig {
  /** Provider id as in `Solution.provider` (`capsolver`). */
  provider: string;
  baseUrl: string;
  attemptTimeout: number;
  retries: number;
  retry: Required<RetryOptions>;
  dispatcher?: Dispatcher;
  errors: ErrorTable;
}

export interface PostContext {
  deadline: Deadline;
  /** Public call for messages, e.g. `CapSolver.solve`. */
  call: string;
  /** Retry this request? Off for calls that must not be repeated. @default true */
  retry?: boolean;
}

/** Builds one of our errors from a provider code, using the table; unknown codes become ProviderError. */
export function errorFromCode(
  table: ErrorTable,
  code: string,
  message: string,
  options: CaptchaSolverErrorOptions & { retryAfterMs?: number },
): CaptchaSolverError {
  const spec = table[code];
  const base = { ...options, code, hint: options.hint ?? spec?.hint };
  if (!spec) {
    // Unknown code: a server-side failure may pass, anything else is the caller's to fix.
    const retryable = options.status !== undefined && options.status >= 500;
    return new ProviderError(message, {
      ...base,
      retryable,
      hint: base.hint ?? 'This error code is not in our table: read the provider description above',
    });
  }
  switch (spec.kind) {
    case 'auth':
      return new AuthError(message, base);
    case 'balance':
      return new BalanceError(message, base);
    case 'rate':
      return new RateLimitError(message, base);
    case 'unavailable':
      return new ProviderUnavailableError(message, { ...base, retryable: true });
    case 'unsolvable':
      return new UnsolvableError(message, { ...base, retryable: spec.retryable ?? true });
    case 'image':
      return new InvalidImageError(message, base);
    case 'provider':
      return new ProviderError(message, { ...base, retryable: spec.retryable ?? false });
  }
}

/** Should the HTTP layer send the same request again? Only for "same request, later" errors. */
export function isResendable(error: unknown): boolean {
  if (!isCaptchaSolverError(error) || !error.retryable) return false;
  return error instanceof RateLimitError || error instanceof ProviderUnavailableError;
}

/** Parses `Retry-After`: delta-seconds or an HTTP date. Returns ms ≥ 0, or undefined. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Backoff before retry number `retry` (0-based), with full jitter. */
export function backoffDelay(retry: number, options: Required<RetryOptions>, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelay, options.minDelay * options.factor ** retry);
  return Math.max(0, Math.floor(random() * ceiling));
}

/** A short, redacted, single-line excerpt of a response body for messages. */
export function excerpt(text: string, max = 120): string {
  const flat = redactText(text).replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > max ? `"${flat.slice(0, max)}…"` : `"${flat}"`;
}

class AttemptTimeout extends Error {}

/** Retry-After sent with a 5xx, kept beside the error (ProviderUnavailableError has no field for it). */
const serverRetryAfter = new WeakMap<object, number>();

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export class JsonClient {
  readonly config: JsonClientConfig;

  constructor(config: JsonClientConfig) {
    this.config = config;
  }

  /** `POST {baseUrl}{path}` with a JSON body; resolves with the provider's JSON object when `errorId` is 0. */
  async post(path: string, payload: JsonObject, ctx: PostContext): Promise<JsonObject> {
    const { deadline } = ctx;
    const url = joinUrl(this.config.baseUrl, path);
    const maxAttempts = ctx.retry === false ? 1 : 1 + Math.max(0, Math.floor(this.config.retries));
    for (let attempt = 1; ; attempt++) {
      deadline.check();
      const started = Date.now();
      let err: CaptchaSolverError;
      try {
        const raw = await this.send(url, payload, deadline, ctx.call);
        const result = this.interpret(raw, url, ctx.call);
        const line = `POST ${url} → ${raw.status} in ${Date.now() - started}ms (attempt ${attempt}/${maxAttempts})`;
        deadline.note(line);
        debug(this.config.provider, line);
        return result;
      } catch (error) {
        if (deadline.aborted) throw deadline.signal.reason;
        err = this.asError(error, url, ctx.call);
      }
      const line = `POST ${url} → ${err.code}${err.status ? ` (HTTP ${err.status})` : ''} in ${Date.now() - started}ms (attempt ${attempt}/${maxAttempts})`;
      deadline.note(line);
      debug(this.config.provider, line);
      if (!isResendable(err) || attempt >= maxAttempts) {
        err.log = [...deadline.log];
        throw err;
      }
      const retryAfter = err instanceof RateLimitError ? err.retryAfterMs : serverRetryAfter.get(err);
      let delay: number;
      if (retryAfter !== undefined) {
        if (retryAfter > this.config.retry.maxRetryAfter || retryAfter > deadline.remaining()) {
          deadline.note(`not retrying: Retry-After ${retryAfter}ms exceeds ${Math.min(this.config.retry.maxRetryAfter, deadline.remaining())}ms`);
          err.log = [...deadline.log];
          throw err;
        }
        delay = retryAfter;
      } else {
        delay = backoffDelay(attempt - 1, this.config.retry);
      }
      deadline.note(`retrying in ${delay}ms`);
      debug(this.config.provider, `retrying in ${delay}ms after ${err.code}`);
      await deadline.wait(delay);
    }
  }

  /** One HTTP exchange, cut by `attemptTimeout` and by the deadline. */
  private async send(url: string, payload: JsonObject, deadline: Deadline, call: string): Promise<RawResponse> {
    const controller = new AbortController();
    const timedOut = new AttemptTimeout();
    const attemptMs = deadline.budget(this.config.attemptTimeout > 0 ? this.config.attemptTimeout : Number.MAX_SAFE_INTEGER);
    const onAbort = () => controller.abort(deadline.signal.reason);
    deadline.signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(timedOut), Math.min(attemptMs, 2_147_483_647));
    timer.unref?.();
    try {
      const response = await deadline.race(
        request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(payload),
          signal: controller.signal,
          dispatcher: this.config.dispatcher,
        }),
      );
      const text = await deadline.race(readText(response.body, HTTP_DEFAULTS.maxResponseBytes));
      return { status: response.statusCode, headers: response.headers, text };
    } catch (error) {
      if (controller.signal.aborted && controller.signal.reason === timedOut && !deadline.aborted) {
        throw new ProviderUnavailableError(`${call}: No answer within attemptTimeout ${attemptMs}ms (POST ${url})`, {
          code: 'ICS_ERR_ATTEMPT_TIMEOUT',
          provider: this.config.provider,
          hint: 'The provider is slow or unreachable; raise `attemptTimeout` if this persists',
          cause: error,
        });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      deadline.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Turns a response into the JSON object, or throws the mapped error. */
  private interpret(raw: RawResponse, url: string, call: string): JsonObject {
    const { status } = raw;
    const where = `POST ${url}, HTTP ${status}`;
    const provider = this.config.provider;
    const retryAfterMs = parseRetryAfter(raw.headers['retry-after']);
    let json: unknown;
    let parsed = false;
    if (raw.text.trim() !== '') {
      try {
        json = JSON.parse(raw.text);
        parsed = true;
      } catch {
        parsed = false;
      }
    }
    const body = parsed && typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as JsonObject) : undefined;
    const errorId = body?.errorId;
    const errorCode = typeof body?.errorCode === 'string' ? body.errorCode : '';
    const isProviderError = body !== undefined && ((typeof errorId === 'number' && errorId !== 0) || (errorId === undefined && errorCode !== ''));

    if (isProviderError) {
      const code = errorCode || (status === 401 ? 'ERROR_KEY_DOES_NOT_EXIST' : `ERROR_ID_${String(errorId)}`);
      const description = typeof body.errorDescription === 'string' ? body.errorDescription : undefined;
      const what = description ? `${code} ${description.replace(/[.\s]+$/, '')}` : code;
      throw errorFromCode(this.config.errors, code, `${call}: ${what} (${where})`, {
        provider,
        status,
        description,
        retryAfterMs: status === 429 || this.config.errors[code]?.kind === 'rate' ? retryAfterMs : undefined,
      });
    }
    if (status === 429) {
      throw new RateLimitError(`${call}: Too many requests (${where})`, {
        provider,
        status,
        retryAfterMs,
        hint: 'Lower the request rate or concurrency; the client retries with backoff',
      });
    }
    if (status >= 500) {
      const err = new ProviderUnavailableError(`${call}: Server error, body ${excerpt(raw.text)} (${where})`, {
        provider,
        status,
        hint: 'The provider is having trouble; the client retried with backoff. Try again later',
      });
      // A 503 may say when to come back, like a 429.
      if (retryAfterMs !== undefined) serverRetryAfter.set(err, retryAfterMs);
      throw err;
    }
    if (status === 401 || status === 403) {
      throw new AuthError(`${call}: The provider refused the API key, body ${excerpt(raw.text)} (${where})`, {
        provider,
        status,
        hint: 'Check the API key (`apiKey` option or environment variable)',
      });
    }
    if (!body) {
      // A 2xx with garbage may be a proxy hiccup (resent); a 4xx without JSON is a wrong URL or request (not resent).
      const ok = status >= 200 && status < 300;
      throw new ProviderUnavailableError(`${call}: Malformed response, expected a JSON object, got ${excerpt(raw.text)} (${where})`, {
        code: 'ICS_ERR_BAD_RESPONSE',
        provider,
        status,
        retryable: ok,
        hint: ok ? 'Check `baseUrl` points at the provider API' : 'Check `baseUrl` (the path is not the provider API) and the request',
      });
    }
    if (status < 200 || status >= 300) {
      throw new ProviderError(`${call}: Unexpected HTTP status, body ${excerpt(raw.text)} (${where})`, {
        provider,
        status,
        retryable: false,
        hint: 'Check `baseUrl` and the request fields',
      });
    }
    return body;
  }

  /** Anything thrown during an attempt → one of our errors (network failures become ProviderUnavailableError). */
  private asError(error: unknown, url: string, call: string): CaptchaSolverError {
    if (isCaptchaSolverError(error)) return error;
    const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
    const reason = [e?.code, e?.message, e?.cause?.code].filter(Boolean).join(' ') || String(error);
    return new ProviderUnavailableError(`${call}: Network error: ${reason} (POST ${url})`, {
      code: 'ICS_ERR_NETWORK',
      provider: this.config.provider,
      hint: 'Check the network, proxy and `baseUrl`; the client retried with backoff',
      cause: error,
    });
  }
}

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** Reads a body up to `limit` bytes; the rest is discarded and the stream destroyed. */
async function readText(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buf.length;
    if (size > limit) {
      chunks.push(buf.subarray(0, Math.max(0, buf.length - (size - limit))));
      body.destroy();
      break;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
