/**
 * The createTask / getTaskResult family: Anti-Captcha, CapMonster Cloud and 2Captcha (API v2) speak the same
 * asynchronous protocol: `createTask` → integer `taskId`, then `getTaskResult` polled (after an initial delay,
 * at an interval) until `status: "ready"` with `solution.text`. One base class; each provider is config.
 */
import { inspect } from 'node:util';
import { withDeadline, type Deadline } from '../core/deadline.js';
import { AuthError, InvalidOptionError, ProviderUnavailableError, TimeoutError } from '../core/errors.js';
import { toBase64Body } from '../core/image.js';
import { debug } from '../core/log.js';
import { REDACTED, redactValue, registerSecret } from '../core/redact.js';
import type { Balance, ImageToTextTask, Solution, SolveOptions, Solver } from '../core/types.js';
import { callTimeout, checkCount, checkMs, checkUrl, nonEmpty } from './capsolver.js';
import { HTTP_DEFAULTS, JsonClient, type CloudSolverOptions, type ErrorTable, type JsonObject } from './http.js';
import { IMAGE_LIMITS, fitImage, type ImageLimits } from './image-limits.js';

/** Worker hints the three clouds share for `ImageToTextTask` (Anti-Captcha / 2Captcha field names). */
export interface ImageTaskOptions {
  /** The answer has at least two words separated by a space. @default undefined (not sent: provider default) */
  phrase?: boolean;
  /**
   * 0 any, 1 digits only, 2 no digits (2Captcha also: 3 digits or letters only, 4 both). CapMonster takes 0/1.
   * @default 1 when `module` is CapSolver's `number` (digits only), else undefined (not sent)
   */
  numeric?: number;
  /** The image is arithmetic to calculate. @default undefined (not sent) */
  math?: boolean;
  /** Minimal answer length, 0 = any. @default undefined (not sent) */
  minLength?: number;
  /** Maximal answer length, 0 = any. @default undefined (not sent) */
  maxLength?: number;
  /** A note for the human worker, e.g. "enter the red characters". Not used by CapMonster. @default undefined */
  comment?: string;
}

/** CapMonster Cloud's extra fields. */
export interface CapMonsterTaskOptions extends ImageTaskOptions {
  /**
   * 0–100: below this confidence CapMonster answers ERROR_CAPTCHA_UNSOLVABLE and does not charge.
   * When unset, a task `score` (0.8–1) is sent as `score × 100`. @default undefined
   */
  recognizingThreshold?: number;
  /** CapMonster recognition module (`capMonsterModule`, e.g. `yandex`, `universal`). @default undefined */
  capMonsterModule?: string;
}

/** A task for these clouds: the common ImageToTextTask plus their worker hints. */
export type TaskApiTask = ImageToTextTask & CapMonsterTaskOptions;

export interface TaskApiOptions extends CloudSolverOptions {
  /** Overall budget of one `solve()` in ms, polling included; 0 = no limit. @default 120000 */
  timeout?: number;
  /** Wait after createTask before the first getTaskResult, in ms. Provider default, see {@link TASK_API_PROVIDERS}. */
  pollInitialDelay?: number;
  /** Wait between getTaskResult polls, in ms. Provider default, see {@link TASK_API_PROVIDERS}. */
  pollInterval?: number;
  /** Worker hints sent with every task (a task's own fields win). @default {} */
  task?: CapMonsterTaskOptions;
  /** Re-encode or downscale images that break the provider's documented limits (see image-limits.ts). @default true */
  fitImages?: boolean;
}

interface ProviderSpec {
  name: string;
  label: string;
  envKey: string;
  baseUrl: string;
  pollInitialDelay: number;
  pollInterval: number;
  limits: ImageLimits;
  reportPath: string;
  /** Highest `numeric` value the provider documents. */
  maxNumeric: number;
  /** Sends `websiteURL` (documented by Anti-Captcha only). */
  websiteURL: boolean;
  capMonster: boolean;
  comment: boolean;
}

/** Per-provider defaults and protocol details, in one block. */
export const TASK_API_PROVIDERS = {
  anticaptcha: {
    name: 'anticaptcha',
    label: 'AntiCaptcha',
    envKey: 'ANTICAPTCHA_API_KEY',
    baseUrl: 'https://api.anti-captcha.com',
    pollInitialDelay: 3_000,
    pollInterval: 2_000,
    limits: IMAGE_LIMITS.anticaptcha,
    reportPath: '/reportIncorrectImageCaptcha',
    maxNumeric: 2,
    websiteURL: true,
    capMonster: false,
    comment: true,
  },
  capmonster: {
    name: 'capmonster',
    label: 'CapMonsterCloud',
    envKey: 'CAPMONSTER_API_KEY',
    baseUrl: 'https://api.capmonster.cloud',
    // Docs: image answers in 300 ms to 6 s; ERROR_TOO_MUCH_REQUESTS above one result request per 2 s per task.
    pollInitialDelay: 1_000,
    pollInterval: 2_000,
    limits: IMAGE_LIMITS.capmonster,
    reportPath: '/reportIncorrectImageCaptcha',
    maxNumeric: 1,
    websiteURL: false,
    capMonster: true,
    comment: false,
  },
  '2captcha': {
    name: '2captcha',
    label: 'TwoCaptcha',
    envKey: 'TWOCAPTCHA_API_KEY',
    baseUrl: 'https://api.2captcha.com',
    pollInitialDelay: 5_000,
    pollInterval: 5_000,
    limits: IMAGE_LIMITS['2captcha'],
    reportPath: '/reportIncorrect',
    maxNumeric: 4,
    websiteURL: false,
    capMonster: false,
    comment: true,
  },
} as const satisfies Record<string, ProviderSpec>;

export const TASK_API_DEFAULTS = {
  timeout: 120_000,
  /** Bound on result queries per task (CapMonster: at most 120 per task). */
  maxPolls: 120,
} as const;

/**
 * Error codes of the family (https://anti-captcha.com/apidoc/errors, https://2captcha.com/api-docs/error-codes,
 * CapMonster "Error Types"). Unknown codes become ProviderError.
 */
export const TASK_API_ERRORS: ErrorTable = {
  ERROR_KEY_DOES_NOT_EXIST: { kind: 'auth', hint: 'The API key is wrong; copy it again from the dashboard (`apiKey` or the environment variable)' },
  ERROR_WRONG_USER_KEY: { kind: 'auth', hint: 'The API key is malformed; copy it again from the dashboard' },
  ERROR_NO_SLOT_AVAILABLE: { kind: 'unavailable', hint: 'No worker is free at your bid; retried with backoff. Raise the maximum bid or try later' },
  ERROR_ZERO_CAPTCHA_FILESIZE: { kind: 'image', hint: 'The image is under 100 bytes: capture the captcha element again' },
  ERROR_TOO_BIG_CAPTCHA_FILESIZE: { kind: 'image', hint: 'The image is too big: crop the captcha element (fitImages re-encodes known limits)' },
  ERROR_IMAGE_TYPE_NOT_SUPPORTED: { kind: 'image', hint: 'Send PNG, JPEG or GIF' },
  ERROR_ZERO_BALANCE: { kind: 'balance', hint: 'Top up the account balance' },
  ERROR_IP_NOT_ALLOWED: { kind: 'auth', hint: 'Add this IP to the trusted IP list in the account settings' },
  ERROR_IP_BLOCKED: { kind: 'auth', hint: 'This IP is blocked after improper API use; wait, fix the cause, or contact support' },
  ERROR_IP_BANNED: { kind: 'auth', hint: 'This IP is banned after too many requests with a wrong key; fix the key and wait' },
  ERROR_ACCOUNT_SUSPENDED: { kind: 'auth', hint: 'The account is suspended; contact the provider' },
  ERROR_CAPTCHA_UNSOLVABLE: { kind: 'unsolvable', retryable: true, hint: 'Workers could not read this image; refresh the captcha and try a new one' },
  ERROR_BAD_DUPLICATES: { kind: 'unsolvable', retryable: true, hint: 'Not enough matching answers (100% recognition); refresh and try a new image' },
  ERROR_NO_SUCH_METHOD: { kind: 'provider', retryable: false, hint: 'Check `baseUrl`: the API has no such method' },
  ERROR_NO_SUCH_CAPCHA_ID: { kind: 'provider', retryable: false, hint: 'The task id is unknown or expired (kept about 5 minutes); solve again' },
  ERROR_WRONG_CAPTCHA_ID: { kind: 'provider', retryable: false, hint: 'The task id is unknown or expired; solve again' },
  ERROR_TASK_ABSENT: { kind: 'provider', retryable: false, hint: 'The request had no task object; check the request' },
  ERROR_TASK_NOT_SUPPORTED: { kind: 'provider', retryable: false, hint: 'The provider does not support this task type' },
  ERROR_TOO_MUCH_REQUESTS: { kind: 'rate', hint: 'Too many requests; poll at most every 2 s (raise `pollInterval`) and lower concurrency' },
  ERROR_DOMAIN_NOT_ALLOWED: { kind: 'provider', retryable: false, hint: 'The provider refuses captchas from this domain' },
  ERROR_REPORT_NOT_RECORDED: { kind: 'provider', retryable: false, hint: 'The report was not recorded (too many reports, or too late)' },
  ERROR_INCORRECT_SESSION_DATA: { kind: 'provider', retryable: false, hint: 'Check the task fields named in the description' },
};

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** Shared implementation of the createTask / getTaskResult clouds. Use AntiCaptcha, CapMonsterCloud or TwoCaptcha. */
export class TaskApiSolver implements Solver {
  readonly name: string;
  readonly baseUrl: string;
  readonly timeout: number;
  readonly pollInitialDelay: number;
  readonly pollInterval: number;
  readonly fitImages: boolean;
  readonly #spec: ProviderSpec;
  readonly #apiKey: string | undefined;
  readonly #taskDefaults: CapMonsterTaskOptions;
  readonly #http: JsonClient;

  protected constructor(spec: ProviderSpec, options: TaskApiOptions = {}) {
    this.#spec = spec;
    this.name = spec.name;
    const apiKey = options.apiKey ?? nonEmpty(process.env[spec.envKey]);
    registerSecret(apiKey);
    this.#apiKey = apiKey;
    this.baseUrl = options.baseUrl ?? spec.baseUrl;
    this.timeout = checkMs('timeout', options.timeout ?? TASK_API_DEFAULTS.timeout);
    this.pollInitialDelay = checkMs('pollInitialDelay', options.pollInitialDelay ?? spec.pollInitialDelay);
    this.pollInterval = checkMs('pollInterval', options.pollInterval ?? spec.pollInterval);
    this.fitImages = options.fitImages ?? true;
    this.#taskDefaults = { ...options.task };
    this.#http = new JsonClient({
      provider: spec.name,
      baseUrl: checkUrl(this.baseUrl),
      attemptTimeout: checkMs('attemptTimeout', options.attemptTimeout ?? HTTP_DEFAULTS.attemptTimeout),
      retries: checkCount('retries', options.retries ?? HTTP_DEFAULTS.retries),
      retry: { ...HTTP_DEFAULTS.retry, ...options.retry },
      dispatcher: options.dispatcher,
      errors: TASK_API_ERRORS,
    });
    // Validate the instance defaults once, at construction.
    if (options.task) this.#taskFields({ body: '', ...options.task }, `${spec.label} options`);
  }

  async solve(task: TaskApiTask, options: SolveOptions = {}): Promise<Solution> {
    const call = `${this.#spec.label}.solve`;
    const fields = this.#taskFields({ ...this.#taskDefaults, ...task }, call);
    const input = toBase64Body((task?.body ?? '') as string | Uint8Array);
    return this.#run(call, options, async (deadline) => {
      let body = input;
      if (this.fitImages) {
        const fitted = await deadline.race(fitImage(input, this.#spec.limits, call));
        if (fitted.changed) {
          deadline.note(`image ${fitted.note}`);
          debug(this.name, `image ${fitted.note}`);
        }
        body = fitted.body;
      }
      const created = await this.#http.post('/createTask', this.#withKey({ task: { type: 'ImageToTextTask', body, ...fields } }, call), { deadline, call });
      const taskId = created.taskId;
      if (typeof taskId !== 'number' && !(typeof taskId === 'string' && taskId !== '')) {
        throw new ProviderUnavailableError(`${call}: createTask answered without a taskId (POST ${this.baseUrl}/createTask)`, {
          code: 'ICS_ERR_BAD_RESPONSE',
          provider: this.name,
          hint: 'Check `baseUrl` points at the provider API',
        });
      }
      await deadline.wait(this.pollInitialDelay);
      for (let poll = 1; ; poll++) {
        const result = await this.#http.post('/getTaskResult', this.#withKey({ taskId }, call), { deadline, call });
        if (result.status === 'ready') {
          const solution = (result.solution ?? {}) as JsonObject;
          if (typeof solution.text !== 'string') {
            throw new ProviderUnavailableError(`${call}: The answer has no solution.text (task ${String(taskId)}, POST ${this.baseUrl}/getTaskResult)`, {
              code: 'ICS_ERR_BAD_RESPONSE',
              provider: this.name,
              hint: 'Check `baseUrl` points at the provider API',
            });
          }
          debug(this.name, `solved task ${String(taskId)} after ${poll} polls in ${deadline.elapsed()}ms`);
          return { text: solution.text, taskId: String(taskId), provider: this.name, elapsedMs: deadline.elapsed(), raw: redactValue(result) };
        }
        if (result.status !== 'processing' && result.status !== 'idle') {
          throw new ProviderUnavailableError(`${call}: Unexpected task status ${JSON.stringify(result.status ?? null)} (task ${String(taskId)}, POST ${this.baseUrl}/getTaskResult)`, {
            code: 'ICS_ERR_BAD_RESPONSE',
            provider: this.name,
            hint: 'Check `baseUrl` points at the provider API',
          });
        }
        if (poll >= TASK_API_DEFAULTS.maxPolls) {
          throw new TimeoutError(`${call}: Task ${String(taskId)} still processing after ${poll} polls (POST ${this.baseUrl}/getTaskResult)`, {
            provider: this.name,
            hint: 'Raise `pollInterval`, or pass a `timeout`',
            log: [...deadline.log],
          });
        }
        await deadline.wait(this.pollInterval);
      }
    });
  }

  /** `POST /getBalance` `{ clientKey }` → `{ balance }` (USD). */
  async getBalance(options: SolveOptions = {}): Promise<Balance> {
    const call = `${this.#spec.label}.getBalance`;
    return this.#run(call, options, async (deadline) => {
      const res = await this.#http.post('/getBalance', this.#withKey({}, call), { deadline, call });
      const balance = Number(res.balance);
      if (res.balance === undefined || res.balance === null || !Number.isFinite(balance)) {
        throw new ProviderUnavailableError(`${call}: The answer has no numeric balance (POST ${this.baseUrl}/getBalance)`, {
          code: 'ICS_ERR_BAD_RESPONSE',
          provider: this.name,
          hint: 'Check `baseUrl` points at the provider API',
        });
      }
      return { balance };
    });
  }

  /** Reports a rejected answer (Anti-Captcha/CapMonster `reportIncorrectImageCaptcha`, 2Captcha `reportIncorrect`). */
  async reportIncorrect(solution: Solution, options: SolveOptions = {}): Promise<void> {
    const call = `${this.#spec.label}.reportIncorrect`;
    const id = Number(solution?.taskId);
    if (!solution?.taskId || !Number.isSafeInteger(id)) {
      throw new InvalidOptionError(`${call}: The solution has no numeric taskId (got ${JSON.stringify(solution?.taskId ?? null)})`, {
        hint: `Pass the Solution returned by ${this.#spec.label}.solve()`,
      });
    }
    await this.#run(call, options, (deadline) => this.#http.post(this.#spec.reportPath, this.#withKey({ taskId: id }, call), { deadline, call }));
  }

  async close(): Promise<void> {
    // Nothing of our own to release: a user-supplied dispatcher belongs to the user.
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, baseUrl: this.baseUrl, apiKey: this.#apiKey ? REDACTED : undefined, timeout: this.timeout };
  }

  [inspectSymbol](_depth: number, opts: Parameters<typeof inspect>[1]): string {
    return `${this.#spec.label} ${inspect(this.toJSON(), opts)}`;
  }

  /** Validates and maps the task's hints to the provider's fields (undefined fields omitted). */
  #taskFields(task: TaskApiTask, call: string): JsonObject {
    const spec = this.#spec;
    if (!task || typeof task !== 'object') {
      throw new InvalidOptionError(`${call}: The task must be an object ({ body, … }), got ${typeof task}`, { hint: 'Pass { body: base64 | Buffer }' });
    }
    if (task.images !== undefined) {
      throw new InvalidOptionError(`${call}: task.images is CapSolver-only (${spec.label} takes one image; the images would be dropped)`, {
        hint: 'Use CapSolver or the offline LocalSolver for several images, or send one image in `body` per solve() call',
        provider: spec.name,
        step: 'solve',
      });
    }
    const out: JsonObject = {};
    const bool = (key: 'phrase' | 'math' | 'case') => {
      const v = task[key];
      if (v === undefined) return;
      if (typeof v !== 'boolean') throw new InvalidOptionError(`${call}: task.${key} must be a boolean (got ${typeof v})`, { hint: `Pass true or false, or leave ${key} out` });
      out[key] = v;
    };
    const int = (key: 'numeric' | 'minLength' | 'maxLength' | 'recognizingThreshold', max: number) => {
      const v = task[key];
      if (v === undefined) return;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
        throw new InvalidOptionError(`${call}: task.${key} must be an integer from 0 to ${max} (got ${String(v)})`, { hint: `See the ${spec.label} ImageToTextTask docs` });
      }
      out[key] = v;
    };
    bool('phrase');
    bool('case');
    bool('math');
    int('numeric', spec.maxNumeric);
    if (out.numeric === undefined && task.module === 'number') out.numeric = 1; // CapSolver's digits-only module
    int('minLength', 1000);
    int('maxLength', 1000);
    if (typeof out.minLength === 'number' && typeof out.maxLength === 'number' && out.maxLength > 0 && out.minLength > out.maxLength) {
      throw new InvalidOptionError(`${call}: task.minLength ${out.minLength} is above task.maxLength ${out.maxLength}`, { hint: 'Swap them, or use 0 for "any"' });
    }
    if (task.comment !== undefined) {
      if (typeof task.comment !== 'string') throw new InvalidOptionError(`${call}: task.comment must be a string (got ${typeof task.comment})`, { hint: 'Pass a short note for the worker' });
      if (spec.comment) out.comment = task.comment;
    }
    if (spec.websiteURL && task.websiteURL !== undefined) {
      if (typeof task.websiteURL !== 'string') throw new InvalidOptionError(`${call}: task.websiteURL must be a string`, { hint: 'Pass page.url()' });
      out.websiteURL = task.websiteURL;
    }
    if (task.score !== undefined && (typeof task.score !== 'number' || !(task.score >= 0.8 && task.score <= 1))) {
      throw new InvalidOptionError(`${call}: task.score must be a number from 0.8 to 1 (got ${String(task.score)})`, { hint: 'Leave it out for the default' });
    }
    if (spec.capMonster) {
      int('recognizingThreshold', 100);
      if (out.recognizingThreshold === undefined && task.score !== undefined) out.recognizingThreshold = Math.round(task.score * 100);
      if (task.capMonsterModule !== undefined) {
        if (typeof task.capMonsterModule !== 'string' || task.capMonsterModule === '') {
          throw new InvalidOptionError(`${call}: task.capMonsterModule must be a non-empty string`, { hint: 'e.g. "universal"; or leave it out' });
        }
        out.capMonsterModule = task.capMonsterModule;
      }
    } else if (task.recognizingThreshold !== undefined || task.capMonsterModule !== undefined) {
      throw new InvalidOptionError(`${call}: recognizingThreshold and capMonsterModule are CapMonster Cloud options`, { hint: 'Remove them for this provider' });
    }
    return out;
  }

  #withKey(body: JsonObject, call: string): JsonObject {
    if (!this.#apiKey) {
      throw new AuthError(`${call}: No API key (neither the apiKey option nor ${this.#spec.envKey} is set)`, {
        code: 'ICS_ERR_NO_API_KEY',
        provider: this.name,
        hint: `Pass new ${this.#spec.label}({ apiKey }) or set ${this.#spec.envKey}`,
      });
    }
    return { clientKey: this.#apiKey, ...body };
  }

  #run<T>(call: string, options: SolveOptions, fn: (deadline: Deadline) => Promise<T>): Promise<T> {
    return withDeadline({ timeout: callTimeout(options.timeout, this.timeout), signal: options.signal, label: call }, fn);
  }
}

/** Anti-Captcha (api.anti-captcha.com). Key: `apiKey` or `ANTICAPTCHA_API_KEY`. */
export class AntiCaptcha extends TaskApiSolver {
  constructor(options: TaskApiOptions & { task?: ImageTaskOptions } = {}) {
    super(TASK_API_PROVIDERS.anticaptcha, options);
  }
}

/** CapMonster Cloud (api.capmonster.cloud). Key: `apiKey` or `CAPMONSTER_API_KEY`. */
export class CapMonsterCloud extends TaskApiSolver {
  constructor(options: TaskApiOptions = {}) {
    super(TASK_API_PROVIDERS.capmonster, options);
  }
}

/** 2Captcha, API v2 (api.2captcha.com). Key: `apiKey` or `TWOCAPTCHA_API_KEY`. */
export class TwoCaptcha extends TaskApiSolver {
  constructor(options: TaskApiOptions & { task?: ImageTaskOptions } = {}) {
    super(TASK_API_PROVIDERS['2captcha'], options);
  }
}
