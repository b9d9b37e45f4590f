/**
 * Options of {@link createCapSolverServer}: types, defaults in one block, validation up front.
 */
import { availableParallelism } from 'node:os';
import { InvalidOptionError } from '../core/errors.js';
import type { Solver } from '../core/types.js';

export interface CapSolverServerOptions {
  /**
   * The solver behind the server: any {@link Solver}. Its `solve()` runs on the server's thread, so a solver
   * that blocks (a model run synchronously) stalls the server while it runs.
   * @default LocalSolver (the offline model) on `workers` worker threads
   */
  solver?: Solver;
  /**
   * The key clients must send as `clientKey` (or `ClientKey`, or `Authorization: Bearer …`). `false` accepts
   * any key or none. Never logged or echoed.
   * @default process.env.IMAGE_CAPTCHA_SERVER_KEY, else false
   */
  apiKey?: string | false;
  /**
   * Interface to bind. The default answers this machine only; pass `0.0.0.0` (or a LAN address) to expose
   * the server, with an `apiKey`.
   * @default '127.0.0.1'
   */
  host?: string;
  /** TCP port; 0 picks a free one (see the returned `port`). @default 8787 */
  port?: number;
  /**
   * Largest request body in bytes; a larger one is answered 413 in CapSolver's error shape. An `images` task's
   * images (up to 9) share it. @default 2097152 (2 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Solves one client may have running at once; its further requests wait in the queue. A client is one
   * (remote address, client key) pair.
   * @default 16
   */
  concurrency?: number;
  /**
   * Solves handed to the solver at once, across all clients. More than one per inference thread lets image
   * decoding (on libuv's pool) overlap inference; measured with bench/serve.mjs.
   * @default 8 × `workers` with the default solver (8 when `workers` is 0), 16 with a custom `solver`
   */
  maxRunning?: number;
  /**
   * Requests that may wait for a free slot, across all clients. When it is full, `createTask` is answered at
   * once with ERROR_SERVICE_UNAVALIABLE (HTTP 429, `Retry-After`), in the task-API dialect ERROR_NO_SLOT_AVAILABLE.
   * @default 256
   */
  queueSize?: number;
  /**
   * Requests one client may have waiting, so one busy client cannot fill the whole queue; beyond it that
   * client gets ERROR_RATE_LIMIT (HTTP 429, `Retry-After`).
   * @default `queueSize` (no per-client share)
   */
  clientQueueSize?: number;
  /**
   * Worker threads for the default LocalSolver, each with its own ONNX session. 0 runs it on the server's
   * own thread. Ignored with a custom `solver`.
   * @default min(4, os.availableParallelism())
   */
  workers?: number;
  /** onnxruntime intra-op threads per worker (default solver only). @default 1 */
  threads?: number;
  /**
   * Micro-batching (default solver only): the tasks a worker holds at once whose images have the same input size
   * share one model run, up to `batch` images (LocalSolver's `batch`). No fixed wait: the tasks that arrive while a
   * run is busy form the next batch, so a lone task is not delayed. `1` runs every image alone.
   * @default 8
   */
  batch?: number;
  /** Model path for the default LocalSolver. @default the shipped `models/captcha-ocr.onnx` */
  model?: string;
  /**
   * A second solver (e.g. `new CapSolver()`), asked when the local answer's confidence is below
   * `upstreamThreshold`, or the local solver fails. When the upstream fails too, the local answer is used if
   * it meets the task's `score`. @default undefined (no upstream)
   */
  upstream?: Solver;
  /** Local confidence (0–1) below which a task goes to `upstream`. @default 0.9 */
  upstreamThreshold?: number;
  /** Upstream calls running at once; beyond it, tasks keep their local answer. @default 16 */
  upstreamConcurrency?: number;
  /**
   * Time for one task in ms, from arrival (queue wait included) to answer; for an `images` task, for all its
   * images together. A task still queued then is answered ERROR_SERVICE_UNAVALIABLE; one still solving,
   * ERROR_TASK_TIMEOUT.
   * @default 60000
   */
  taskTimeout?: number;
  /** How long results stay readable by `getTaskResult` / `feedbackTask`, in ms (CapSolver: 5 minutes). @default 300000 */
  resultTtl?: number;
  /** Most results kept; the oldest go first. @default 10000 */
  maxResults?: number;
  /**
   * What `getBalance` answers. Offline solving costs nothing; a positive balance keeps tools that check
   * funds before solving going. @default 1000000
   */
  balance?: number;
  /** `close()` waits this long for in-flight tasks, then drops the remaining connections (ms). @default 30000 */
  closeTimeout?: number;
}

/** Built-in defaults, in one block. */
export const SERVER_DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  maxBodyBytes: 2 * 1024 * 1024,
  concurrency: 16,
  maxRunningCustom: 16,
  /** Tasks a worker holds at once: enough to fill a batch of `batch` images, few enough for a short p99. */
  maxRunningPerWorker: 8,
  maxRunningInThread: 8,
  queueSize: 256,
  maxWorkers: 4,
  threads: 1,
  batch: 8,
  upstreamThreshold: 0.9,
  upstreamConcurrency: 16,
  taskTimeout: 60_000,
  resultTtl: 5 * 60_000,
  maxResults: 10_000,
  balance: 1_000_000,
  closeTimeout: 30_000,
  /** Seconds sent in `Retry-After` with busy answers. */
  retryAfter: 1,
} as const;

/** The environment variable read when `apiKey` is not given. */
export const SERVER_KEY_ENV = 'IMAGE_CAPTCHA_SERVER_KEY';

export interface ResolvedServerOptions {
  solver?: Solver;
  apiKey: string | false;
  host: string;
  port: number;
  maxBodyBytes: number;
  concurrency: number;
  maxRunning: number;
  queueSize: number;
  clientQueueSize: number;
  workers: number;
  threads: number;
  batch: number;
  model?: string;
  upstream?: Solver;
  upstreamThreshold: number;
  upstreamConcurrency: number;
  taskTimeout: number;
  resultTtl: number;
  maxResults: number;
  balance: number;
  closeTimeout: number;
}

const CALL = 'createCapSolverServer';

function int(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(`${CALL}: \`${name}\` must be an integer from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'any' : max}, got ${String(value)}`);
  }
  return value;
}

function fraction(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new InvalidOptionError(`${CALL}: \`${name}\` must be a number from 0 to 1, got ${String(value)}`);
  }
  return value;
}

function isSolver(value: unknown): value is Solver {
  return typeof value === 'object' && value !== null && typeof (value as Solver).solve === 'function';
}

/** Merges options with the environment and the defaults, and validates them. */
export function resolveServerOptions(options: CapSolverServerOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedServerOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError(`${CALL}: options must be an object`);
  const d = SERVER_DEFAULTS;
  if (options.solver !== undefined && !isSolver(options.solver)) {
    throw new InvalidOptionError(`${CALL}: \`solver\` must have a solve(task) method`, { hint: 'Pass a Solver such as new LocalSolver()' });
  }
  if (options.upstream !== undefined && !isSolver(options.upstream)) {
    throw new InvalidOptionError(`${CALL}: \`upstream\` must have a solve(task) method`, { hint: 'Pass a Solver such as new CapSolver()' });
  }
  let apiKey: string | false;
  if (options.apiKey === undefined) apiKey = env[SERVER_KEY_ENV]?.trim() || false;
  else if (options.apiKey === false) apiKey = false;
  else if (typeof options.apiKey === 'string' && options.apiKey.trim() !== '') apiKey = options.apiKey.trim();
  else throw new InvalidOptionError(`${CALL}: \`apiKey\` must be a non-empty string or false`);
  const host = options.host ?? d.host;
  if (typeof host !== 'string' || host.trim() === '') throw new InvalidOptionError(`${CALL}: \`host\` must be a host name or address, got ${String(host)}`);
  const workers = options.solver ? 0 : int('workers', options.workers ?? Math.min(d.maxWorkers, availableParallelism()), 0, 64);
  if (options.model !== undefined && (typeof options.model !== 'string' || options.model === '')) {
    throw new InvalidOptionError(`${CALL}: \`model\` must be a path to an .onnx file`);
  }
  return {
    solver: options.solver,
    apiKey,
    host,
    port: int('port', options.port ?? d.port, 0, 65535),
    maxBodyBytes: int('maxBodyBytes', options.maxBodyBytes ?? d.maxBodyBytes, 1024),
    concurrency: int('concurrency', options.concurrency ?? d.concurrency, 1, 100_000),
    maxRunning: int('maxRunning', options.maxRunning ?? (options.solver ? d.maxRunningCustom : workers === 0 ? d.maxRunningInThread : d.maxRunningPerWorker * workers), 1, 100_000),
    queueSize: int('queueSize', options.queueSize ?? d.queueSize, 0, 1_000_000),
    clientQueueSize: int('clientQueueSize', options.clientQueueSize ?? options.queueSize ?? d.queueSize, 0, 1_000_000),
    workers,
    threads: int('threads', options.threads ?? d.threads, 1, 64),
    batch: int('batch', options.batch ?? d.batch, 1, 64),
    model: options.model,
    upstream: options.upstream,
    upstreamThreshold: fraction('upstreamThreshold', options.upstreamThreshold ?? d.upstreamThreshold),
    upstreamConcurrency: int('upstreamConcurrency', options.upstreamConcurrency ?? d.upstreamConcurrency, 1, 10_000),
    taskTimeout: int('taskTimeout', options.taskTimeout ?? d.taskTimeout, 1),
    resultTtl: int('resultTtl', options.resultTtl ?? d.resultTtl, 1),
    maxResults: int('maxResults', options.maxResults ?? d.maxResults, 1),
    balance: (() => {
      const b = options.balance ?? d.balance;
      if (typeof b !== 'number' || !Number.isFinite(b)) throw new InvalidOptionError(`${CALL}: \`balance\` must be a finite number, got ${String(b)}`);
      return b;
    })(),
    closeTimeout: int('closeTimeout', options.closeTimeout ?? d.closeTimeout, 0),
  };
}
