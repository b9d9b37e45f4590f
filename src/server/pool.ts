/**
 * LocalSolver on worker threads. onnxruntime-node runs a session synchronously on the JS thread that owns it,
 * and LocalSolver also decodes and resizes in JS, so solving on the server's own thread would stall every
 * other request for the length of each inference. The pool moves that work to `workers` threads, each with
 * its own LocalSolver (its own ONNX session, `threads` intra-op threads), and keeps the HTTP thread free.
 *
 * The worker runs this very module: the pool starts `new Worker(import.meta.url)` with a marker in
 * `workerData`, and the module's top level turns into the worker loop when it sees the marker. That keeps
 * working after bundling (the chunk that holds this code is the file the worker loads) without an extra
 * build entry. When the module is TypeScript source (tests), the worker is started with the `tsx` loader.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CaptchaSolverError,
  InvalidImageError,
  InvalidOptionError,
  ProviderUnavailableError,
  TimeoutError,
  UnsolvableError,
  isCaptchaSolverError,
} from '../core/errors.js';
import type { ImageToTextTask, Solution, SolveOptions, Solver } from '../core/types.js';
import { ModelError } from '../solvers/offline/errors.js';
import { disableOrtTelemetry } from '../solvers/offline/ort.js';

const MARK = 'image-captcha-solver/server-pool-worker';

export interface WorkerPoolOptions {
  /** Worker threads, each with its own ONNX session. */
  workers: number;
  /** onnxruntime intra-op threads per worker. */
  threads: number;
  /** Most images per model run in each worker (LocalSolver's `batch`); the worker's concurrent tasks share runs. */
  batch?: number;
  /** Model path for LocalSolver; undefined = the shipped model. */
  model?: string;
}

/** What a worker is started with (`workerData`). */
interface WorkerSetup {
  threads: number;
  batch?: number;
  model?: string;
}

interface SolveMessage {
  type: 'solve';
  id: number;
  task: ImageToTextTask;
  timeout?: number;
}
interface CancelMessage {
  type: 'cancel';
  id: number;
}
interface LoadMessage {
  type: 'load';
  id: number;
}
type ToWorker = SolveMessage | CancelMessage | LoadMessage | { type: 'close' };

interface SerializedError {
  name: string;
  message: string;
  code?: string;
  retryable?: boolean;
  description?: string;
}
type FromWorker = { id: number; ok: true; solution?: Solution } | { id: number; ok: false; error: SerializedError };

interface Pending {
  resolve: (value: Solution | undefined) => void;
  reject: (reason: unknown) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  exited: boolean;
}

/** A Solver that runs LocalSolver on worker threads, least-busy first. */
export class WorkerPoolSolver implements Solver {
  readonly name = 'local';
  private readonly slots: (Slot | undefined)[];
  private nextId = 1;
  private closed = false;

  constructor(readonly options: WorkerPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new InvalidOptionError(`WorkerPoolSolver: \`workers\` must be an integer ≥ 1, got ${String(options.workers)}`);
    }
    this.slots = new Array<Slot | undefined>(options.workers).fill(undefined);
    // a worker cannot set the C environment onnxruntime reads: this thread does it for them (see ort.ts)
    disableOrtTelemetry();
  }

  /** Loads the model in every worker; rejects with the first worker's error (e.g. ModelError: file missing). */
  async load(): Promise<void> {
    await Promise.all(this.slots.map((_, i) => this.send(this.slot(i), (id) => ({ type: 'load', id }))));
  }

  async solve(task: ImageToTextTask, options: SolveOptions = {}): Promise<Solution> {
    if (this.closed) throw new ProviderUnavailableError('WorkerPoolSolver.solve: the pool is closed', { provider: 'local' });
    const { signal } = options;
    if (signal?.aborted) throw signal.reason;
    let best = 0;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.slots.length; i++) {
      const load = this.slots[i]?.pending.size ?? 0;
      if (load < bestLoad) {
        best = i;
        bestLoad = load;
      }
    }
    const slot = this.slot(best);
    let sentId = 0;
    const result = this.send(slot, (id) => {
      sentId = id;
      return { type: 'solve', id, task: plainTask(task), timeout: options.timeout };
    });
    if (!signal) return (await result) as Solution;
    return new Promise<Solution>((resolve, reject) => {
      const onAbort = () => {
        // the worker skips the run if it has not started; the caller gets the abort reason now
        slot.worker.postMessage({ type: 'cancel', id: sentId } satisfies ToWorker);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      result.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v as Solution);
        },
        (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  /** Lets queued runs finish, then stops the workers. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        if (!slot || slot.exited) return;
        const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
        slot.worker.postMessage({ type: 'close' } satisfies ToWorker);
        const timer = setTimeout(() => void slot.worker.terminate(), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private slot(i: number): Slot {
    const existing = this.slots[i];
    if (existing && !existing.exited) return existing;
    const url = thisModuleUrl();
    const workerData = { [MARK]: true, threads: this.options.threads, batch: this.options.batch, model: this.options.model };
    const worker = /\.[cm]?ts$/.test(url.pathname)
      ? // TypeScript source (tests, tsx): register tsx in the worker, then load this module through it
        new Worker(
          `import(${JSON.stringify(tsxApiUrl())}).then((tsx) => tsx.tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(url.href)}))`,
          { eval: true, workerData },
        )
      : // `--input-type` (from `node --input-type=module -e …`) is refused for a file entry: drop it
        new Worker(fileURLToPath(url), { workerData, execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')) });
    const slot: Slot = { worker, pending: new Map(), exited: false };
    worker.on('message', (msg: FromWorker) => {
      const p = slot.pending.get(msg.id);
      if (!p) return;
      slot.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.solution);
      else p.reject(reviveError(msg.error));
    });
    const fail = (reason: unknown) => {
      slot.exited = true;
      const err = new ProviderUnavailableError(`WorkerPoolSolver: a solver worker stopped (${reason instanceof Error ? reason.message : String(reason)})`, {
        provider: 'local',
        hint: 'The next task starts a new worker; see NODE_DEBUG=image-captcha for details',
        cause: reason,
      });
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.slots[i] = slot;
    return slot;
  }

  private send(slot: Slot, make: (id: number) => ToWorker): Promise<Solution | undefined> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage(make(id));
    });
  }
}

/**
 * The file this code runs from. `import.meta.url` is right for ESM, but tsup's CJS shim computes it in a shared
 * shim chunk, so the file is taken from the call site when V8 knows it.
 */
function thisModuleUrl(): URL {
  const original = Error.prepareStackTrace;
  let file: string | undefined;
  try {
    Error.prepareStackTrace = (_error, callSites) => callSites;
    const sites = new Error().stack as unknown as NodeJS.CallSite[] | undefined;
    file = Array.isArray(sites) ? (sites[0]?.getFileName() ?? undefined) : undefined;
  } catch {
    file = undefined;
  } finally {
    Error.prepareStackTrace = original;
  }
  if (file && file.startsWith('file:')) return new URL(file);
  if (file && isAbsolute(file) && existsSync(file)) return pathToFileURL(file);
  return new URL(import.meta.url);
}

/** tsx's ESM API (`tsImport`), for running this module's TypeScript source on a worker (tests only). */
function tsxApiUrl(): string {
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  return pathToFileURL(join(dirname(pkg), 'dist/esm/api/index.mjs')).href;
}

/** Only the task's data fields cross the thread boundary. */
function plainTask(task: ImageToTextTask): ImageToTextTask {
  const out: ImageToTextTask = { body: task.body };
  if (task.websiteURL !== undefined) out.websiteURL = task.websiteURL;
  if (task.module !== undefined) out.module = task.module;
  if (task.score !== undefined) out.score = task.score;
  if (task.case !== undefined) out.case = task.case;
  return out;
}

function serializeError(error: unknown): SerializedError {
  if (isCaptchaSolverError(error)) {
    return { name: error.name, message: error.message, code: error.code, retryable: error.retryable, description: error.description };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

const REVIVERS: Record<string, new (message: string, options: { code?: string; retryable?: boolean; provider?: string; description?: string }) => CaptchaSolverError> = {
  UnsolvableError,
  InvalidImageError,
  InvalidOptionError,
  TimeoutError,
  ModelError,
  ProviderUnavailableError,
};

function reviveError(e: SerializedError): Error {
  const Cls = REVIVERS[e.name];
  if (Cls) return new Cls(e.message, { code: e.code, retryable: e.retryable, provider: 'local', description: e.description });
  if (e.code) return new CaptchaSolverError(e.message, { code: e.code, retryable: e.retryable, provider: 'local' });
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/** The worker side: one LocalSolver, solve/load/cancel/close messages. */
async function runWorker(data: WorkerSetup): Promise<void> {
  const port = parentPort!;
  const { LocalSolver } = await import('../solvers/offline/local-solver.js');
  const solver = new LocalSolver({ threads: data.threads, ...(data.batch ? { batch: data.batch } : {}), ...(data.model ? { model: data.model } : {}) });
  const controllers = new Map<number, AbortController>();
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'cancel') {
      controllers.get(msg.id)?.abort(new Error('cancelled'));
      return;
    }
    if (msg.type === 'close') {
      void solver.close().finally(() => port.close());
      return;
    }
    const reply = (m: FromWorker) => port.postMessage(m);
    if (msg.type === 'load') {
      solver.load().then(
        () => reply({ id: msg.id, ok: true }),
        (error: unknown) => reply({ id: msg.id, ok: false, error: serializeError(error) }),
      );
      return;
    }
    const controller = new AbortController();
    controllers.set(msg.id, controller);
    solver
      .solve(msg.task, { signal: controller.signal, timeout: msg.timeout })
      .then(
        (solution) => reply({ id: msg.id, ok: true, solution: { text: solution.text, provider: solution.provider, elapsedMs: solution.elapsedMs, confidence: solution.confidence } }),
        (error: unknown) => reply({ id: msg.id, ok: false, error: serializeError(error) }),
      )
      .finally(() => controllers.delete(msg.id));
  });
}

if (!isMainThread && (workerData as Record<string, unknown> | null)?.[MARK] === true) {
  void runWorker(workerData as WorkerSetup);
}
