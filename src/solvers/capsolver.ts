/**
 * CapSolver (https://docs.capsolver.com) over its JSON API: `createTask` with an `ImageToTextTask`
 * answers synchronously (`status: "ready"`); should it answer `idle`/`processing`, `getTaskResult` is
 * polled within the deadline. A task with `images` (module `number`, up to 9) is answered with `solution.answers`,
 * one per image: they become `Solution.answers`, and `text` is them joined. Also `getBalance` and `feedbackTask`
 * (reportIncorrect).
 */
import { inspect } from 'node:util';
import { withDeadline, type Deadline } from '../core/deadline.js';
import { AuthError, InvalidOptionError, ProviderUnavailableError, TimeoutError } from '../core/errors.js';
import { toBase64Body } from '../core/image.js';
import { debug } from '../core/log.js';
import { REDACTED, redactValue, registerSecret } from '../core/redact.js';
import { MAX_TASK_IMAGES, type Balance, type ImageToTextTask, type Solution, type SolveOptions, type Solver } from '../core/types.js';
import { HTTP_DEFAULTS, JsonClient, type CloudSolverOptions, type ErrorTable, type JsonObject } from './http.js';

export interface CapSolverOptions extends CloudSolverOptions {
  /** The CapSolver account key. @default process.env.CAPSOLVER_API_KEY */
  apiKey?: string;
  /** API origin (the official Python SDK honours the same variable). @default process.env.CAPSOLVER_API_BASE ?? 'https://api.capsolver.com' */
  baseUrl?: string;
  /** Overall budget of one call in ms, retries and polling included; 0 = no limit. @default 60000 */
  timeout?: number;
  /** Wait between `getTaskResult` polls, should `createTask` not answer `ready` at once. @default 1000 */
  pollInterval?: number;
  /** CapSolver developer `appId`, sent with createTask and feedbackTask when set. @default undefined */
  appId?: string;
}

/** Defaults in one block. */
export const CAPSOLVER_DEFAULTS = {
  baseUrl: 'https://api.capsolver.com',
  timeout: 60_000,
  pollInterval: 1_000,
  /** CapSolver keeps at most 120 result queries per task (docs: getTaskResult). */
  maxPolls: 120,
} as const;

/** ImageToText modules documented by CapSolver; `number` is the one that takes `images` (up to 9). */
const KNOWN_MODULES = new Set(['common', 'queueit', 'number']);
const warnedModules = new Set<string>();

/**
 * Every CapSolver error code (https://docs.capsolver.com/guide/api-error) → our class, retryable, hint.
 * RateLimitError / ProviderUnavailableError are resent by the HTTP client with backoff; `retryable` on the
 * others tells the page flow whether a new try (a fresh image) may succeed.
 */
export const CAPSOLVER_ERRORS: ErrorTable = {
  ERROR_SERVICE_UNAVALIABLE: { kind: 'unavailable', hint: 'CapSolver is overloaded; retried with backoff. Try again later, or contact CapSolver support if it persists' },
  ERROR_RATE_LIMIT: { kind: 'rate', hint: 'Your package\'s request rate was exceeded; lower concurrency or upgrade the package' },
  ERROR_INVALID_TASK_DATA: { kind: 'provider', retryable: false, hint: 'Fix the task fields named in the description (body: base64 without a data: prefix; module; score 0.8-1)' },
  ERROR_BAD_REQUEST: { kind: 'provider', retryable: true, hint: 'CapSolver rejected the request; try again, and contact CapSolver support if it persists' },
  ERROR_TASKID_INVALID: { kind: 'provider', retryable: false, hint: 'The task id is unknown or expired (results are kept 5 minutes); solve the captcha again' },
  ERROR_TASK_TIMEOUT: { kind: 'unsolvable', retryable: true, hint: 'CapSolver gave up on this image; refresh the captcha and try a new one' },
  ERROR_SETTLEMENT_FAILED: { kind: 'balance', hint: 'CapSolver could not charge the task: check the balance and packages in the dashboard' },
  ERROR_KEY_DENIED_ACCESS: { kind: 'auth', hint: 'The key may not be used for this (IP whitelist, disabled key or task type); check the dashboard' },
  ERROR_ZERO_BALANCE: { kind: 'balance', hint: 'Top up the CapSolver balance, or use createSolver(\'local\') for the offline model' },
  ERROR_TASK_NOT_SUPPORTED: { kind: 'provider', retryable: false, hint: 'CapSolver does not support this task type or module; check `module`' },
  ERROR_CAPTCHA_UNSOLVABLE: { kind: 'unsolvable', retryable: true, hint: 'CapSolver could not read this image; refresh the captcha and try a new one' },
  ERROR_UNKNOWN_QUESTION: { kind: 'provider', retryable: false, hint: 'CapSolver does not know this question or module; check `module`' },
  ERROR_PROXY_BANNED: { kind: 'provider', retryable: false, hint: 'The proxy was banned; use another proxy' },
  ERROR_INVALID_IMAGE: { kind: 'image', hint: 'Send a real PNG/JPEG/GIF captcha image, base64 without a data: prefix' },
  ERROR_PARSE_IMAGE_FAIL: { kind: 'image', hint: 'CapSolver could not decode the image; capture it again (PNG or JPEG) and check the base64' },
  ERROR_IP_BANNED: { kind: 'auth', hint: 'Your IP is banned after too many failed requests (often a wrong key); fix the key, wait, or contact CapSolver support' },
  ERROR_KEY_TEMP_BLOCKED: { kind: 'auth', hint: 'The key is temporarily blocked after too many invalid requests; fix the cause and wait before retrying' },
  ERROR_KEY_DOES_NOT_EXIST: { kind: 'auth', hint: 'The API key is wrong; copy it again from the CapSolver dashboard (`apiKey` or CAPSOLVER_API_KEY)' },
};

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** Solves image captchas with CapSolver's `ImageToTextTask`. */
export class CapSolver implements Solver {
  readonly name = 'capsolver';
  readonly baseUrl: string;
  readonly timeout: number;
  readonly pollInterval: number;
  readonly #apiKey: string | undefined;
  readonly #appId: string | undefined;
  readonly #http: JsonClient;

  constructor(options: CapSolverOptions = {}) {
    const apiKey = options.apiKey ?? nonEmpty(process.env.CAPSOLVER_API_KEY);
    registerSecret(apiKey);
    this.#apiKey = apiKey;
    this.#appId = options.appId;
    this.baseUrl = options.baseUrl ?? nonEmpty(process.env.CAPSOLVER_API_BASE) ?? CAPSOLVER_DEFAULTS.baseUrl;
    this.timeout = checkMs('timeout', options.timeout ?? CAPSOLVER_DEFAULTS.timeout);
    this.pollInterval = checkMs('pollInterval', options.pollInterval ?? CAPSOLVER_DEFAULTS.pollInterval);
    this.#http = new JsonClient({
      provider: this.name,
      baseUrl: checkUrl(this.baseUrl),
      attemptTimeout: checkMs('attemptTimeout', options.attemptTimeout ?? HTTP_DEFAULTS.attemptTimeout),
      retries: checkCount('retries', options.retries ?? HTTP_DEFAULTS.retries),
      retry: { ...HTTP_DEFAULTS.retry, ...options.retry },
      dispatcher: options.dispatcher,
      errors: CAPSOLVER_ERRORS,
    });
  }

  /** Whether a key was given or found in the environment. */
  get hasApiKey(): boolean {
    return this.#apiKey !== undefined;
  }

  async solve(task: ImageToTextTask, options: SolveOptions = {}): Promise<Solution> {
    const call = 'CapSolver.solve';
    const payloadTask = buildCapSolverTask(task, call);
    return this.#run(call, options, async (deadline) => {
      const created = await this.#http.post('/createTask', this.#withKey({ task: payloadTask, ...(this.#appId ? { appId: this.#appId } : {}) }, call), { deadline, call });
      let result = created;
      const taskId = stringId(created.taskId);
      let polls = 0;
      while (result.status !== 'ready') {
        if (result.status !== 'processing' && result.status !== 'idle') {
          throw new ProviderUnavailableError(`${call}: Unexpected task status ${JSON.stringify(result.status ?? null)} (POST ${this.baseUrl}/${polls ? 'getTaskResult' : 'createTask'})`, {
            code: 'ICS_ERR_BAD_RESPONSE',
            provider: this.name,
            hint: 'Check `baseUrl` points at the CapSolver API',
          });
        }
        if (!taskId) {
          throw new ProviderUnavailableError(`${call}: Task is ${String(result.status)} but no taskId came back (POST ${this.baseUrl}/createTask)`, {
            code: 'ICS_ERR_BAD_RESPONSE',
            provider: this.name,
            hint: 'Check `baseUrl` points at the CapSolver API',
          });
        }
        if (++polls > CAPSOLVER_DEFAULTS.maxPolls) {
          throw new TimeoutError(`${call}: Task ${taskId} still ${String(result.status)} after ${CAPSOLVER_DEFAULTS.maxPolls} polls (POST ${this.baseUrl}/getTaskResult)`, {
            provider: this.name,
            hint: 'CapSolver keeps at most 120 result queries per task; raise `pollInterval`',
            log: [...deadline.log],
          });
        }
        await deadline.wait(this.pollInterval);
        result = await this.#http.post('/getTaskResult', this.#withKey({ taskId }, call), { deadline, call });
      }
      const solution = (result.solution ?? {}) as JsonObject;
      const sentImages = Array.isArray(payloadTask.images) ? payloadTask.images.length : undefined;
      const answers = sentImages === undefined ? undefined : this.#answers(solution, sentImages, taskId, call);
      const text = answers ? answers.join('') : solution.text;
      if (typeof text !== 'string') {
        throw new ProviderUnavailableError(`${call}: The answer has no solution.text (task ${taskId ?? '?'}, ${this.baseUrl})`, {
          code: 'ICS_ERR_BAD_RESPONSE',
          provider: this.name,
          hint: 'Check `baseUrl` points at the CapSolver API',
        });
      }
      const confidence = typeof solution.confidence === 'number' ? solution.confidence : undefined;
      debug(this.name, `solved task ${taskId ?? '?'} in ${deadline.elapsed()}ms`);
      return {
        text,
        ...(answers ? { answers } : {}),
        taskId,
        provider: this.name,
        elapsedMs: deadline.elapsed(),
        ...(confidence !== undefined ? { confidence } : {}),
        raw: redactValue(result),
      };
    });
  }

  /** `POST /getBalance` → `{ balance, packages }` (balance in USD). */
  async getBalance(options: SolveOptions = {}): Promise<Balance> {
    const call = 'CapSolver.getBalance';
    return this.#run(call, options, async (deadline) => {
      const res = await this.#http.post('/getBalance', this.#withKey({}, call), { deadline, call });
      const balance = Number(res.balance);
      if (!Number.isFinite(balance)) {
        throw new ProviderUnavailableError(`${call}: The answer has no numeric balance (POST ${this.baseUrl}/getBalance)`, {
          code: 'ICS_ERR_BAD_RESPONSE',
          provider: this.name,
          hint: 'Check `baseUrl` points at the CapSolver API',
        });
      }
      return { balance, packages: Array.isArray(res.packages) ? res.packages : [] };
    });
  }

  /**
   * Tells CapSolver an answer was rejected by the site: `POST /feedbackTask`
   * `{ clientKey, taskId, result: { invalid: true } }` (docs: feedbackTask).
   */
  async reportIncorrect(solution: Solution, options: SolveOptions = {}): Promise<void> {
    const call = 'CapSolver.reportIncorrect';
    if (!solution?.taskId) {
      throw new InvalidOptionError(`${call}: The solution has no taskId (provider ${String(solution?.provider)})`, {
        hint: 'Pass the Solution returned by CapSolver.solve()',
      });
    }
    await this.#run(call, options, (deadline) =>
      this.#http.post(
        '/feedbackTask',
        this.#withKey({ ...(this.#appId ? { appId: this.#appId } : {}), taskId: solution.taskId, result: { invalid: true } }, call),
        { deadline, call, retry: true },
      ),
    );
  }

  async close(): Promise<void> {
    // Nothing of our own to release: a user-supplied dispatcher belongs to the user.
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, baseUrl: this.baseUrl, apiKey: this.#apiKey ? REDACTED : undefined, timeout: this.timeout };
  }

  [inspectSymbol](_depth: number, opts: Parameters<typeof inspect>[1]): string {
    return `CapSolver ${inspect(this.toJSON(), opts)}`;
  }

  /**
   * An `images` task's `solution.answers`: an array of strings, one per image sent, in order. Anything else is a
   * bad response (the key is never in the message: it names the task and the origin only).
   */
  #answers(solution: JsonObject, expected: number, taskId: string | undefined, call: string): string[] {
    const answers = solution.answers;
    let problem: string | undefined;
    if (!Array.isArray(answers)) problem = answers === undefined ? 'has no solution.answers' : `has a solution.answers that is not an array (${typeof answers})`;
    else if (answers.length !== expected) problem = `has ${answers.length} solution.answers for the ${expected} images sent`;
    else {
      const bad = answers.findIndex((a) => typeof a !== 'string');
      if (bad >= 0) problem = `has a solution.answers[${bad}] that is not a string (${answers[bad] === null ? 'null' : typeof answers[bad]})`;
    }
    if (problem) {
      throw new ProviderUnavailableError(`${call}: The answer to an images task ${problem} (task ${taskId ?? '?'}, ${this.baseUrl})`, {
        code: 'ICS_ERR_BAD_RESPONSE',
        provider: this.name,
        hint: 'CapSolver answers an images task (module `number`) with one answer per image; check `baseUrl` points at the CapSolver API',
      });
    }
    return [...(answers as string[])];
  }

  #withKey(body: JsonObject, call: string): JsonObject {
    if (!this.#apiKey) {
      throw new AuthError(`${call}: No API key (neither the apiKey option nor CAPSOLVER_API_KEY is set)`, {
        code: 'ICS_ERR_NO_API_KEY',
        provider: this.name,
        hint: "Pass new CapSolver({ apiKey }) or set CAPSOLVER_API_KEY; or use createSolver('local') for the offline model",
      });
    }
    return { clientKey: this.#apiKey, ...body };
  }

  #run<T>(call: string, options: SolveOptions, fn: (deadline: Deadline) => Promise<T>): Promise<T> {
    return withDeadline({ timeout: callTimeout(options.timeout, this.timeout), signal: options.signal, label: call }, fn);
  }
}

/** Validates a task and builds CapSolver's `task` object (undefined fields omitted). */
export function buildCapSolverTask(task: ImageToTextTask, call = 'CapSolver.solve'): JsonObject {
  if (!task || typeof task !== 'object') {
    throw new InvalidOptionError(`${call}: The task must be an object ({ body, … }), got ${typeof task}`, { hint: 'Pass { body: base64 | Buffer }' });
  }
  const out: JsonObject = { type: 'ImageToTextTask' };
  if (task.websiteURL !== undefined) {
    if (typeof task.websiteURL !== 'string') throw new InvalidOptionError(`${call}: task.websiteURL must be a string (got ${typeof task.websiteURL})`, { hint: 'Pass page.url()' });
    out.websiteURL = task.websiteURL;
  }
  const images = task.images;
  if (images !== undefined && (!Array.isArray(images) || images.length === 0 || images.length > MAX_TASK_IMAGES)) {
    throw new InvalidOptionError(`${call}: task.images must hold 1 to ${MAX_TASK_IMAGES} images (got ${Array.isArray(images) ? images.length : typeof images})`, {
      hint: `CapSolver takes up to ${MAX_TASK_IMAGES} images at once, for the \`number\` module`,
    });
  }
  const body = task.body as string | Uint8Array | undefined;
  if (body === undefined || body === null || (typeof body === 'string' && body.trim() === '' && images)) {
    if (!images) throw new InvalidOptionError(`${call}: task.body is missing`, { hint: 'Pass the image as base64, a data: URL or a Buffer' });
  } else {
    out.body = toBase64Body(body);
  }
  if (task.module !== undefined) {
    if (typeof task.module !== 'string' || task.module.trim() === '') {
      throw new InvalidOptionError(`${call}: task.module must be a non-empty string (got ${JSON.stringify(task.module)})`, { hint: "Use 'common' or 'queueit', or leave it out" });
    }
    if (!KNOWN_MODULES.has(task.module) && !warnedModules.has(task.module)) {
      warnedModules.add(task.module);
      process.emitWarning(`CapSolver module "${task.module}" is not one we know (common, queueit, number); it is sent as given.`, {
        type: 'ImageCaptchaSolverWarning',
        code: 'ICS_UNKNOWN_MODULE',
      });
    }
    out.module = task.module;
  }
  if (task.score !== undefined) {
    if (typeof task.score !== 'number' || !(task.score >= 0.8 && task.score <= 1)) {
      throw new InvalidOptionError(`${call}: task.score must be a number from 0.8 to 1 (got ${String(task.score)})`, {
        hint: 'CapSolver only accepts scores between 0.8 and 1; leave it out for the default',
      });
    }
    out.score = task.score;
  }
  if (task.case !== undefined) {
    if (typeof task.case !== 'boolean') throw new InvalidOptionError(`${call}: task.case must be a boolean (got ${typeof task.case})`, { hint: 'Pass true when the answer is case-sensitive' });
    out.case = task.case;
  }
  if (images) out.images = images.map((img) => toBase64Body(img as string | Uint8Array));
  return out;
}

function stringId(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * The budget of one call: the per-call `timeout` (validated) over the instance one. Infinity and anything a
 * timer cannot hold (> 2^31-1 ms, ~24.8 days) mean "no limit" (Node would otherwise fire such a timer at 1 ms).
 */
export function callTimeout(perCall: number | undefined, instance: number): number {
  if (perCall === undefined) return instance;
  if (typeof perCall !== 'number' || Number.isNaN(perCall) || perCall < 0) {
    throw new InvalidOptionError(`solve options: \`timeout\` must be a number of ms ≥ 0 (got ${String(perCall)})`, { hint: 'Pass 0 for no limit' });
  }
  return perCall > 2_147_483_647 ? 0 : perCall;
}

export function nonEmpty(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

export function checkMs(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(`solver options: \`${name}\` must be a number of ms ≥ 0 (got ${String(value)})`, { hint: 'Pass 0 for no limit where that is allowed' });
  }
  return value;
}

export function checkCount(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 20) {
    throw new InvalidOptionError(`solver options: \`${name}\` must be an integer from 0 to 20 (got ${String(value)})`, { hint: 'Use 0 to disable retries' });
  }
  return value;
}

export function checkUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidOptionError(`solver options: \`baseUrl\` is not a URL (got ${JSON.stringify(value)})`, { hint: 'Pass an origin such as https://api.capsolver.com' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOptionError(`solver options: \`baseUrl\` must be http(s) (got ${url.protocol})`, { hint: 'Pass an origin such as https://api.capsolver.com' });
  }
  return value;
}
