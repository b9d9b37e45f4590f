/**
 * `createCapSolverServer`: a local HTTP server that speaks CapSolver's API (and the Anti-Captcha / 2Captcha /
 * CapMonster task API), backed by the offline solver, so tools and SDKs that talk to CapSolver can point their
 * base URL at it and solve image captchas with no account and no network.
 *
 * Request path: read the body (bounded) → parse JSON (any content type: the Go SDK sends `json/application`)
 * → check the key (`clientKey`, `ClientKey`, or `Authorization: Bearer`) → validate the task → wait for a slot
 * (per-client and global limits, bounded queue) → solve (local, then upstream when unsure) → answer.
 * A CapSolver `images` task (module `number`, up to 9 images) is solved one image after another, each image
 * through that same path (its own slot, so it counts against the limits like a task of its own).
 */
import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Deadline } from '../core/deadline.js';
import { CaptchaSolverError, InvalidImageError, TimeoutError, UnsolvableError, isCaptchaSolverError } from '../core/errors.js';
import { toBase64Body, sniffImageFormat } from '../core/image.js';
import { debug } from '../core/log.js';
import { redactText, registerSecret } from '../core/redact.js';
import { MAX_TASK_IMAGES, type ImageToTextTask, type Solution, type Solver } from '../core/types.js';
import { Admission, QueueFullError } from './admission.js';
import { resolveServerOptions, SERVER_DEFAULTS, type CapSolverServerOptions, type ResolvedServerOptions } from './options.js';
import {
  WireError,
  capsolverBalance,
  capsolverFeedback,
  capsolverReady,
  capsolverResult,
  dialectOf,
  errorResponse,
  taskapiBalance,
  taskapiCreated,
  taskapiProcessing,
  taskapiReady,
  taskapiReported,
  type Dialect,
  type JsonBody,
  type WireResponse,
} from './protocol.js';
import { TtlStore } from './store.js';

/** Counters since start; `stats()` returns a fresh snapshot. */
export interface CapSolverServerStats {
  uptimeMs: number;
  /** HTTP requests answered. */
  requests: number;
  /** `createTask` calls with a valid task, and how they ended. `busy` = refused because the queue was full. */
  tasks: { received: number; solved: number; failed: number; busy: number };
  /** Tasks sent to `upstream`; `used` = its answer was returned. */
  upstream: { tried: number; used: number; failed: number };
  /** `feedbackTask` / report calls. */
  feedback: { invalid: number; valid: number };
  /** Solves running now, requests waiting for a slot now, and the most that ever waited. */
  running: number;
  queued: number;
  peakQueued: number;
  /** HTTP requests and background (task API) solves in progress. */
  inFlight: number;
  /** Results readable by getTaskResult. */
  results: number;
  /** Error answers by errorCode. */
  errors: Record<string, number>;
  /** Time from request to answer of the last (up to 2048) solved createTask calls, ms. */
  latencyMs: { count: number; p50: number; p95: number; max: number };
}

export interface CapSolverServer {
  /** Base URL for clients, e.g. `http://127.0.0.1:8787` (an unspecified bind address is shown as loopback). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops accepting connections, finishes in-flight tasks (up to `closeTimeout`), then releases the solver it created. */
  close(): Promise<void>;
  stats(): CapSolverServerStats;
}

interface TaskRecord {
  status: 'processing' | 'ready' | 'failed';
  text?: string;
  /** An `images` task's answers, one per image in the order sent (instead of `text`). */
  answers?: string[];
  error?: WireError;
  solution?: Solution;
  /** Which solver answered: reports go to it. */
  answeredBy?: Solver;
  /** An `images` task: each image's solution and the solver that gave it (reports go to each). */
  parts?: { solution: Solution; by: Solver }[];
  ip: string;
  createTime: number;
  endTime?: number;
  websiteURL?: string;
}

interface ParsedTask {
  /** What the local solver gets: no `score` (the server applies it, the same way for every solver). */
  local: ImageToTextTask;
  /** What the upstream gets: the task as sent. */
  full: ImageToTextTask;
  score?: number;
  case?: boolean;
  /**
   * CapSolver's `images` (module `number`, 1–9 base64 images, checked like `body`). When set, `local.body` and
   * `full.body` are empty: each image is solved as this task with that image as its `body`.
   */
  images?: string[];
}

const PREFIXES: Record<string, Dialect> = { anticaptcha: 'taskapi', '2captcha': 'taskapi', capmonster: 'taskapi', capsolver: 'capsolver' };
const MODULES = new Set(['common', 'queueit', 'number']);
const LATENCY_WINDOW = 2048;

/** Starts the server; resolves once it listens (and, with the default solver, once the model is loaded). */
export async function createCapSolverServer(options: CapSolverServerOptions = {}): Promise<CapSolverServer> {
  const opts = resolveServerOptions(options);
  if (opts.apiKey) registerSecret(opts.apiKey);
  const owned = !opts.solver;
  const solver = opts.solver ?? (await defaultSolver(opts));
  try {
    return await start(opts, solver, owned);
  } catch (error) {
    if (owned) await solver.close?.().catch(() => {});
    throw error;
  }
}

async function defaultSolver(opts: ResolvedServerOptions): Promise<Solver> {
  if (opts.workers > 0) {
    const { WorkerPoolSolver } = await import('./pool.js');
    const pool = new WorkerPoolSolver({ workers: opts.workers, threads: opts.threads, batch: opts.batch, model: opts.model });
    try {
      await pool.load();
    } catch (error) {
      await pool.close().catch(() => {});
      throw error;
    }
    return pool;
  }
  const { LocalSolver } = await import('../solvers/offline/local-solver.js');
  const local = new LocalSolver({ threads: opts.threads, batch: opts.batch, ...(opts.model ? { model: opts.model } : {}) });
  await local.load();
  return local;
}

async function start(opts: ResolvedServerOptions, solver: Solver, ownsSolver: boolean): Promise<CapSolverServer> {
  const startedAt = Date.now();
  const admission = new Admission({ maxRunning: opts.maxRunning, concurrency: opts.concurrency, queueSize: opts.queueSize, clientQueueSize: opts.clientQueueSize });
  const results = new TtlStore<string, TaskRecord>(opts.resultTtl, opts.maxResults);
  const keyDigest = opts.apiKey ? digest(opts.apiKey) : undefined;
  const counters = {
    requests: 0,
    tasks: { received: 0, solved: 0, failed: 0, busy: 0 },
    upstream: { tried: 0, used: 0, failed: 0 },
    feedback: { invalid: 0, valid: 0 },
    errors: {} as Record<string, number>,
  };
  const latencies: number[] = [];
  let upstreamRunning = 0;
  let nextTaskApiId = randomInt(100_000, 1_000_000);
  let closing = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight++;
    return p.finally(() => {
      inFlight--;
      if (inFlight === 0) drained?.();
    });
  };

  /** local solve → upstream when unsure → the answer, or a WireError. */
  async function solveTask(task: ParsedTask, client: string, deadline: Deadline): Promise<{ text: string; solution: Solution; by: Solver }> {
    let release: () => void;
    try {
      release = await admission.acquire(client, deadline.signal);
    } catch (error) {
      if (error instanceof QueueFullError) {
        counters.tasks.busy++;
        if (error.perClient) {
          throw new WireError('ERROR_RATE_LIMIT', `Request frequency/rate limit: ${error.message}; retry after ${SERVER_DEFAULTS.retryAfter}s`, { retryAfter: SERVER_DEFAULTS.retryAfter });
        }
        throw new WireError('ERROR_SERVICE_UNAVALIABLE', `Service is temporarily unavailable: ${error.message}; retry after ${SERVER_DEFAULTS.retryAfter}s`, {
          retryAfter: SERVER_DEFAULTS.retryAfter,
        });
      }
      counters.tasks.busy++;
      throw new WireError('ERROR_SERVICE_UNAVALIABLE', `Service is temporarily unavailable: no free slot within ${opts.taskTimeout}ms`, {
        retryAfter: SERVER_DEFAULTS.retryAfter,
      });
    }
    let local: Solution | undefined;
    let localError: unknown;
    // The slot is held until the solver itself settles (not merely until we stop waiting), so a timed-out
    // solve cannot let more work pile onto a busy solver.
    let run: Promise<Solution>;
    try {
      run = solver.solve(task.local, { timeout: Math.max(1, deadline.remaining()) });
    } catch (error) {
      run = Promise.reject(error);
    }
    run.then(release, release);
    try {
      local = await deadline.race(run);
    } catch (error) {
      if (deadline.aborted) throw timeoutError(deadline);
      localError = error;
    }
    const need = Math.max(opts.upstreamThreshold, task.score ?? 0);
    const unsure = localError !== undefined || (local?.confidence !== undefined && local.confidence < need);
    if (opts.upstream && unsure && upstreamRunning < opts.upstreamConcurrency) {
      counters.upstream.tried++;
      upstreamRunning++;
      try {
        const up = await deadline.race(opts.upstream.solve(task.full, { signal: deadline.signal, timeout: Math.max(1, deadline.remaining()) }));
        counters.upstream.used++;
        return { text: applyCase(up.text, task.case), solution: up, by: opts.upstream };
      } catch (error) {
        counters.upstream.failed++;
        if (deadline.aborted) throw timeoutError(deadline);
        debug('server', `upstream ${opts.upstream.name} failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        upstreamRunning--;
      }
    }
    if (localError !== undefined || !local) throw wireFromSolverError(localError);
    if (task.score !== undefined && local.confidence !== undefined && local.confidence < task.score) {
      throw new WireError('ERROR_CAPTCHA_UNSOLVABLE', `Captcha not recognized: confidence ${local.confidence.toFixed(3)} is below score ${task.score}`);
    }
    return { text: applyCase(local.text, task.case), solution: local, by: solver };
  }

  /**
   * An `images` task: each image in turn, through {@link solveTask} (its own admission slot, upstream and
   * `score` as for a single image), under the task's one deadline. One slot at a time, so a 9-image task never
   * holds more than a single task would; the first image that fails fails the task, naming its index.
   */
  async function solveImages(task: ParsedTask, images: string[], client: string, deadline: Deadline): Promise<{ text: string; solution: Solution; by: Solver }[]> {
    const out: { text: string; solution: Solution; by: Solver }[] = [];
    for (const [i, body] of images.entries()) {
      try {
        out.push(await solveTask({ ...task, local: { ...task.local, body }, full: { ...task.full, body }, images: undefined }, client, deadline));
      } catch (error) {
        if (!(error instanceof WireError)) throw error;
        throw new WireError(error.code, `${error.message} (images[${i}])`, { status: error.status, retryAfter: error.retryAfter, taskapi: error.taskapiCode });
      }
    }
    return out;
  }

  function timeoutError(deadline: Deadline): WireError {
    const reason = deadline.signal.reason;
    if (reason instanceof WireError) return reason;
    return new WireError('ERROR_TASK_TIMEOUT', `The task has timed out (taskTimeout ${opts.taskTimeout}ms)`);
  }

  function checkKey(body: JsonBody, req: IncomingMessage): string {
    const sent = pickKey(body, req);
    if (!keyDigest) return sent ?? '';
    if (sent === undefined || sent === '') throw new WireError('ERROR_KEY_DOES_NOT_EXIST', 'clientKey is missing: send the server key as "clientKey"');
    if (!timingSafeEqual(digest(sent), keyDigest)) throw new WireError('ERROR_KEY_DENIED_ACCESS', 'Wrong account key: clientKey does not match the server key');
    return sent;
  }

  async function createTask(body: JsonBody, dialect: Dialect, client: string, ip: string, res: ServerResponse, started: number): Promise<WireResponse> {
    const task = parseTask(body, dialect);
    counters.tasks.received++;
    if (task.full.websiteURL) debug('server', `task from ${task.full.websiteURL}`);
    if (dialect === 'taskapi') {
      if (admission.isFull(client)) {
        counters.tasks.busy++;
        throw new WireError('ERROR_SERVICE_UNAVALIABLE', 'No slot available: the queue is full; retry later', { retryAfter: SERVER_DEFAULTS.retryAfter });
      }
      const id = nextTaskApiId++;
      const record: TaskRecord = { status: 'processing', ip, createTime: unixNow(), websiteURL: task.full.websiteURL };
      results.set(String(id), record);
      void track(runBackground(String(id), record, task, client));
      return { status: 200, body: taskapiCreated(id) };
    }
    // CapSolver: synchronous; a client that hangs up stops waiting for a slot.
    const gone = new AbortController();
    const onClose = () => {
      if (!res.writableEnded) gone.abort(new WireError('ERROR_SERVICE_UNAVALIABLE', 'client went away'));
    };
    res.once('close', onClose);
    const deadline = new Deadline({ timeout: opts.taskTimeout, signal: gone.signal, label: 'createTask' });
    try {
      const taskId = randomUUID();
      const record: TaskRecord = { status: 'ready', ip, createTime: unixNow(), websiteURL: task.full.websiteURL };
      if (task.images) {
        const parts = await solveImages(task, task.images, client, deadline);
        record.answers = parts.map((p) => p.text);
        record.parts = parts.map((p) => ({ solution: p.solution, by: p.by }));
      } else {
        const out = await solveTask(task, client, deadline);
        record.text = out.text;
        record.solution = out.solution;
        record.answeredBy = out.by;
      }
      counters.tasks.solved++;
      record.endTime = unixNow();
      results.set(taskId, record);
      recordLatency(performance.now() - started);
      return { status: 200, body: capsolverReady(taskId, record.answers ?? record.text!) };
    } catch (error) {
      // busy answers (retryAfter set) are counted in tasks.busy
      if (!(error instanceof WireError && error.retryAfter !== undefined)) counters.tasks.failed++;
      throw error;
    } finally {
      deadline.dispose();
      res.off('close', onClose);
    }
  }

  async function runBackground(id: string, record: TaskRecord, task: ParsedTask, client: string): Promise<void> {
    const deadline = new Deadline({ timeout: opts.taskTimeout, label: 'createTask' });
    try {
      const out = await solveTask(task, client, deadline);
      counters.tasks.solved++;
      results.update(id, { ...record, status: 'ready', text: out.text, solution: out.solution, answeredBy: out.by, endTime: unixNow() });
    } catch (error) {
      const wire = error instanceof WireError ? error : wireFromSolverError(error);
      if (wire.retryAfter === undefined) counters.tasks.failed++;
      count(wire.code);
      results.update(id, { ...record, status: 'failed', error: wire, endTime: unixNow() });
    } finally {
      deadline.dispose();
    }
  }

  function getTaskResult(body: JsonBody, dialect: Dialect): WireResponse {
    const id = taskIdOf(body);
    const record = id === undefined ? undefined : results.get(id);
    if (!record) throw new WireError('ERROR_TASKID_INVALID', 'Task ID does not exist or is invalid (results are kept for a limited time)');
    if (record.status === 'failed') return errorResponse(record.error!, dialect);
    if (dialect === 'taskapi') {
      if (record.status === 'processing') return { status: 200, body: taskapiProcessing() };
      return { status: 200, body: taskapiReady(record.text!, { ip: record.ip, createTime: record.createTime, endTime: record.endTime ?? record.createTime }) };
    }
    if (record.status === 'processing') return { status: 200, body: { errorId: 0, errorCode: '', errorDescription: '', taskId: id, status: 'processing' } };
    return { status: 200, body: capsolverResult(id!, record.answers ?? record.text!) };
  }

  function feedback(body: JsonBody, dialect: Dialect, method: string): WireResponse {
    const id = taskIdOf(body);
    const record = id === undefined ? undefined : results.get(id);
    if (!record) throw new WireError('ERROR_TASKID_INVALID', 'Task ID does not exist or is invalid (results are kept for a limited time)');
    let invalid: boolean;
    if (method === 'feedbacktask') {
      const result = body.result;
      if (!result || typeof result !== 'object' || typeof (result as JsonBody).invalid !== 'boolean') {
        throw new WireError('ERROR_INVALID_TASK_DATA', 'invalid task data: "result.invalid" (true or false) is required');
      }
      invalid = (result as JsonBody).invalid as boolean;
    } else {
      invalid = method !== 'reportcorrect';
    }
    if (invalid) counters.feedback.invalid++;
    else counters.feedback.valid++;
    // an `images` task: the feedback is for the task as a whole, so every image's solver hears of it
    const parts = record.parts ?? (record.answeredBy && record.solution ? [{ solution: record.solution, by: record.answeredBy }] : []);
    for (const { solution: answered, by } of invalid ? parts : []) {
      // the solver that answered learns of it (a cloud upstream refunds); failures do not concern the client
      if (by.reportIncorrect) by.reportIncorrect(answered).catch((e: unknown) => debug('server', `reportIncorrect failed: ${e instanceof Error ? e.message : String(e)}`));
    }
    if (dialect === 'taskapi') return { status: 200, body: taskapiReported() };
    return { status: 200, body: capsolverFeedback(invalid ? 'feedback recorded: answer rejected' : 'feedback recorded: answer accepted') };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const { method, dialect: pathDialect } = route(req.url ?? '/');
    let dialect: Dialect = pathDialect ?? 'capsolver';
    let answer: WireResponse;
    try {
      if (req.method === 'GET' && (method === '' || method === 'health')) {
        answer = { status: 200, body: { status: 'ok', running: admission.runningCount, queued: admission.queuedCount } };
      } else if (closing) {
        throw new WireError('ERROR_SERVICE_UNAVALIABLE', 'Service is temporarily unavailable: the server is shutting down', { status: 503 });
      } else if (req.method !== 'POST') {
        throw new WireError('ERROR_BAD_REQUEST', `Error Request: ${req.method} is not allowed, use POST`, { status: 405 });
      } else if (!KNOWN_METHODS.has(method)) {
        throw new WireError('ERROR_BAD_REQUEST', `Error Request: no such method "${method.slice(0, 80)}"`, { status: 404 });
      } else {
        const raw = await readBody(req, opts.maxBodyBytes, method === 'createtask');
        const body = parseJson(raw, req.headers['content-type']);
        dialect = pathDialect ?? dialectOf(body);
        const key = checkKey(body, req);
        const ip = req.socket.remoteAddress ?? '';
        const client = `${ip}|${key}`;
        switch (method) {
          case 'createtask':
            answer = await createTask(body, dialect, client, ip, res, started);
            break;
          case 'gettaskresult':
            answer = getTaskResult(body, dialect);
            break;
          case 'getbalance':
            answer = { status: 200, body: dialect === 'taskapi' ? taskapiBalance(opts.balance) : capsolverBalance(opts.balance) };
            break;
          case 'gettoken':
            throw new WireError('ERROR_TASK_NOT_SUPPORTED', 'Task types are not supported: getToken is for token tasks; this server solves ImageToTextTask via createTask');
          default:
            answer = feedback(body, dialect, method);
        }
      }
    } catch (error) {
      const wire = error instanceof WireError ? error : new WireError('ERROR_SERVICE_UNAVALIABLE', `Service is temporarily unavailable: ${redactText(error instanceof Error ? error.message : String(error))}`, { status: 500 });
      if (!(error instanceof WireError)) debug('server', `unexpected: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      count(wire.code);
      answer = errorResponse(wire, dialect);
      if (wire.status === 413) answer.headers = { ...answer.headers, connection: 'close' };
    }
    counters.requests++;
    send(res, answer, closing);
    if (answer.status === 413) {
      // the rest of an oversized body is read and dropped so the client can read the answer; a client that
      // keeps sending is cut off
      req.resume();
      const timer = setTimeout(() => req.socket.destroy(), 2_000);
      timer.unref();
      req.once('end', () => clearTimeout(timer));
    }
  }

  function count(code: string): void {
    counters.errors[code] = (counters.errors[code] ?? 0) + 1;
  }

  function recordLatency(ms: number): void {
    if (latencies.length >= LATENCY_WINDOW) latencies.shift();
    latencies.push(ms);
  }

  const server: Server = createServer((req, res) => {
    void track(handle(req, res)).catch((error: unknown) => {
      debug('server', `handler failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) send(res, errorResponse(new WireError('ERROR_SERVICE_UNAVALIABLE', 'Service is temporarily unavailable', { status: 500 }), 'capsolver'), true);
      else res.destroy();
    });
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  server.keepAliveTimeout = 5_000;
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new CaptchaSolverError(`createCapSolverServer: cannot listen on ${opts.host}:${opts.port} (${error.code ?? error.message})`, {
          code: 'ICS_ERR_SERVER_LISTEN',
          hint: error.code === 'EADDRINUSE' ? 'The port is taken: pass another `port` (--port), or 0 for a free one' : 'Check `host` and `port`',
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const port = address.port;
  const shownHost = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  debug('server', `listening on ${url}`);

  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing = true;
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (inFlight > 0) {
      await new Promise<void>((resolve) => {
        drained = resolve;
        const timer = setTimeout(resolve, opts.closeTimeout);
        timer.unref();
      });
    }
    server.closeAllConnections();
    for (const socket of sockets) socket.destroy();
    await serverClosed;
    if (ownsSolver) await solver.close?.();
  }

  return {
    url,
    host: address.address,
    port,
    close: () => (closed ??= close()),
    stats(): CapSolverServerStats {
      const sorted = [...latencies].sort((a, b) => a - b);
      const pick = (q: number) => (sorted.length ? round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!) : 0);
      return {
        uptimeMs: Date.now() - startedAt,
        requests: counters.requests,
        tasks: { ...counters.tasks },
        upstream: { ...counters.upstream },
        feedback: { ...counters.feedback },
        running: admission.runningCount,
        queued: admission.queuedCount,
        peakQueued: admission.peakQueued,
        inFlight,
        results: results.size,
        errors: { ...counters.errors },
        latencyMs: { count: sorted.length, p50: pick(0.5), p95: pick(0.95), max: sorted.length ? round(sorted[sorted.length - 1]!) : 0 },
      };
    },
  };
}

const KNOWN_METHODS = new Set(['createtask', 'gettaskresult', 'getbalance', 'feedbacktask', 'reportincorrectimagecaptcha', 'reportincorrect', 'reportcorrect', 'gettoken']);

/** `/2captcha/createTask/` → { method: 'createtask', dialect: 'taskapi' }. Method names are matched case-insensitively. */
function route(rawUrl: string): { method: string; dialect?: Dialect } {
  const path = rawUrl.split('?')[0]!.split('/').filter(Boolean).map((s) => s.toLowerCase());
  let dialect: Dialect | undefined;
  if (path.length > 0 && PREFIXES[path[0]!]) dialect = PREFIXES[path.shift()!];
  return { method: path.join('/'), dialect };
}

function send(res: ServerResponse, answer: WireResponse, closing: boolean): void {
  if (res.writableEnded || res.destroyed) return;
  const payload = JSON.stringify(answer.body);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...answer.headers,
  };
  if (closing) headers.connection = 'close';
  res.writeHead(answer.status, headers);
  res.end(payload);
}

/** Reads the body, refusing one over `limit` bytes with a 413 in CapSolver's shape. */
function readBody(req: IncomingMessage, limit: number, isCreate: boolean): Promise<Buffer> {
  const tooLarge = (size: string) =>
    new WireError(isCreate ? 'ERROR_INVALID_IMAGE' : 'ERROR_BAD_REQUEST', `Request body too large: ${size}, the limit is ${limit} bytes (maxBodyBytes)`, {
      status: 413,
      taskapi: [4, 'ERROR_TOO_BIG_CAPTCHA_FILESIZE'],
    });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(`${declared} bytes`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.off('data', onData);
        reject(tooLarge(`over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!done) resolve(Buffer.concat(chunks, size));
    });
    req.once('error', (error) => {
      if (!done) reject(error);
    });
  });
}

function parseJson(raw: Buffer, contentType: string | undefined): JsonBody {
  let text = raw.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw new WireError('ERROR_INVALID_TASK_DATA', 'invalid task data: the request body is empty; send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WireError('ERROR_INVALID_TASK_DATA', `invalid task data: the request body is not valid JSON${contentType ? ` (content-type ${contentType.slice(0, 60)})` : ''}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WireError('ERROR_INVALID_TASK_DATA', 'invalid task data: the request body must be a JSON object');
  }
  return value as JsonBody;
}

/** The client key: `clientKey` (CapSolver, Anti-Captcha), `ClientKey` (CapSolver's Go SDK), or `Authorization: Bearer` (its Python SDK). */
function pickKey(body: JsonBody, req: IncomingMessage): string | undefined {
  for (const field of ['clientKey', 'ClientKey', 'client_key']) {
    const v = body[field];
    if (typeof v === 'string' && v !== '') return v;
  }
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m && m[1] !== 'None') return m[1];
  }
  return undefined;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** `taskId` as a string: CapSolver's are strings (its Go SDK sends strings), the task APIs' are integers. */
function taskIdOf(body: JsonBody): string | undefined {
  const v = body.taskId ?? body.TaskId ?? body.taskid;
  if (typeof v === 'string' && v.trim() !== '') return v.trim();
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

/** A task's boolean field as clients send it (true/false, 1/0, "true"/"false"); undefined when absent or null. */
function wireFlag(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === true || value === 1 || value === 'true') return true;
  if (value === false || value === 0 || value === 'false') return false;
  throw new WireError('ERROR_INVALID_TASK_DATA', `invalid task data: "${name}" must be true or false, got ${JSON.stringify(value).slice(0, 40)}`);
}

/** Longest answer length the offline solver is asked for; a larger `maxLength` means "any" to it. */
const MAX_LOCAL_LENGTH = 64;

/**
 * Validates an ImageToTextTask as CapSolver defines it (plus the task APIs' `recognizingThreshold`, `minLength`,
 * `maxLength` and `math`).
 *
 * `images` (CapSolver's multi-image form: module `number` only, 1–9 base64 images, each checked like `body`)
 * is CapSolver's alone: in the task-API dialect it is refused (Anti-Captcha, 2Captcha and CapMonster take one
 * image in `body`). When a task carries both `images` and `body`, `images` wins and `body` is ignored (not
 * even checked): the answer is `solution.answers`, one per image, which only `images` can fill (CapSolver does
 * not document the combination; this package's own CapSolver client sends both when given both).
 */
export function parseTask(body: JsonBody, dialect: Dialect): ParsedTask {
  const t = body.task;
  if (t === undefined || t === null) throw new WireError('ERROR_INVALID_TASK_DATA', 'invalid task data: "task" is missing');
  if (typeof t !== 'object' || Array.isArray(t)) throw new WireError('ERROR_INVALID_TASK_DATA', 'invalid task data: "task" must be an object');
  const task = t as JsonBody;
  const type = task.type;
  if (typeof type !== 'string' || type === '') throw new WireError('ERROR_INVALID_TASK_DATA', 'invalid task data: "task.type" is missing');
  if (type.toLowerCase() !== 'imagetotexttask') {
    throw new WireError('ERROR_TASK_NOT_SUPPORTED', `Task types are not supported: "${type.slice(0, 60)}"; this server solves ImageToTextTask`);
  }
  let module: string | undefined;
  if (task.module !== undefined && task.module !== null) {
    if (typeof task.module !== 'string' || !MODULES.has(task.module.toLowerCase())) {
      throw new WireError('ERROR_INVALID_TASK_DATA', `invalid task data: module ${JSON.stringify(task.module)} is not supported; use "common", "number" (digits only) or "queueit"`);
    }
    module = task.module.toLowerCase();
  }
  let images: string[] | undefined;
  let b64: string;
  if (task.images !== undefined && task.images !== null) {
    images = parseImages(task.images, module, dialect);
    b64 = '';
  } else {
    const rawBody = task.body;
    if (rawBody === undefined || rawBody === null || rawBody === '') {
      throw new WireError('ERROR_INVALID_TASK_DATA', 'invalid task data: "task.body" is missing', dialect === 'taskapi' ? { taskapi: [3, 'ERROR_ZERO_CAPTCHA_FILESIZE'] } : {});
    }
    if (typeof rawBody !== 'string') throw new WireError('ERROR_INVALID_TASK_DATA', 'invalid task data: "task.body" must be a base64 string');
    b64 = imageBase64(rawBody, '"task.body"');
  }
  const local: ImageToTextTask = { body: b64 };
  const full: ImageToTextTask = { body: b64 };
  if (module !== undefined) local.module = full.module = module;
  if (task.websiteURL !== undefined && task.websiteURL !== null) {
    if (typeof task.websiteURL !== 'string') throw new WireError('ERROR_INVALID_TASK_DATA', 'invalid task data: "websiteURL" must be a string');
    local.websiteURL = full.websiteURL = task.websiteURL;
  }
  let score: number | undefined;
  if (task.score !== undefined && task.score !== null) {
    score = typeof task.score === 'string' && task.score.trim() !== '' ? Number(task.score) : (task.score as number);
    if (typeof score !== 'number' || !(score >= 0 && score <= 1)) {
      throw new WireError('ERROR_INVALID_TASK_DATA', `invalid task data: "score" must be a number from 0.8 to 1, got ${JSON.stringify(task.score)}`);
    }
  } else if (dialect === 'taskapi' && task.recognizingThreshold !== undefined && task.recognizingThreshold !== null) {
    const t100 = Number(task.recognizingThreshold);
    if (!(t100 >= 0 && t100 <= 100)) throw new WireError('ERROR_INVALID_TASK_DATA', 'invalid task data: "recognizingThreshold" must be 0–100');
    score = t100 / 100;
  }
  if (score !== undefined) full.score = score;
  const caseSensitive = wireFlag(task.case ?? task.Case, 'case');
  if (caseSensitive !== undefined) local.case = full.case = caseSensitive;
  // Anti-Captcha's answer length bounds (0 = any); the offline solver reads the most probable text that fits
  for (const key of ['minLength', 'maxLength'] as const) {
    const v = task[key];
    if (v === undefined || v === null) continue;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 1000) {
      throw new WireError('ERROR_INVALID_TASK_DATA', `invalid task data: "${key}" must be an integer from 0 to 1000 (0 = any), got ${JSON.stringify(v).slice(0, 40)}`);
    }
    if (n === 0) continue;
    full[key] = n;
    if (key === 'minLength' && n > MAX_LOCAL_LENGTH) throw new WireError('ERROR_INVALID_TASK_DATA', `invalid task data: "minLength" ${n} is longer than any captcha this server reads (${MAX_LOCAL_LENGTH})`);
    if (n <= MAX_LOCAL_LENGTH) local[key] = n;
  }
  if (full.minLength && full.maxLength && full.minLength > full.maxLength) {
    throw new WireError('ERROR_INVALID_TASK_DATA', `invalid task data: "minLength" ${full.minLength} is above "maxLength" ${full.maxLength}`);
  }
  // Anti-Captcha's and 2Captcha's `math`: the answer is the value of the arithmetic shown
  if (wireFlag(task.math, 'math')) local.math = full.math = true;
  return images ? { local, full, score, case: caseSensitive, images } : { local, full, score, case: caseSensitive };
}

/** `task.images`: 1–9 base64 images, for module "number", in the CapSolver dialect only. */
function parseImages(raw: unknown, module: string | undefined, dialect: Dialect): string[] {
  if (dialect === 'taskapi') {
    throw new WireError('ERROR_INVALID_TASK_DATA', 'invalid task data: "images" is CapSolver\'s (module "number"); Anti-Captcha, 2Captcha and CapMonster take one image in "body"');
  }
  if (module !== 'number') {
    throw new WireError('ERROR_INVALID_TASK_DATA', `invalid task data: "images" is only for module "number" (got ${module === undefined ? 'no module' : `module "${module}"`}); send one image in "body" otherwise`);
  }
  if (!Array.isArray(raw)) throw new WireError('ERROR_INVALID_TASK_DATA', 'invalid task data: "images" must be an array of base64 strings');
  if (raw.length === 0) throw new WireError('ERROR_INVALID_TASK_DATA', `invalid task data: "images" is empty; send 1 to ${MAX_TASK_IMAGES} images`);
  if (raw.length > MAX_TASK_IMAGES) throw new WireError('ERROR_INVALID_TASK_DATA', `invalid task data: "images" holds ${raw.length} images, at most ${MAX_TASK_IMAGES} are allowed`);
  return raw.map((image: unknown, i) => {
    if (typeof image !== 'string') throw new WireError('ERROR_INVALID_TASK_DATA', `invalid task data: "images[${i}]" must be a base64 string, got ${image === null ? 'null' : typeof image}`);
    return imageBase64(image, `"images[${i}]"`);
  });
}

/** One image as sent (base64, or a data: URL): clean base64 with an image signature, or ERROR_INVALID_IMAGE naming `label`. */
function imageBase64(raw: string, label: string): string {
  if (raw.trim() === '') throw new WireError('ERROR_INVALID_IMAGE', `Invalid image: ${label} is empty`, { taskapi: [3, 'ERROR_ZERO_CAPTCHA_FILESIZE'] });
  let b64: string;
  try {
    b64 = toBase64Body(raw);
  } catch {
    throw new WireError('ERROR_INVALID_IMAGE', `Invalid image: ${label} is not base64 (send the image bytes as base64, no data: prefix)`);
  }
  // the signature is in the first bytes (SVG: the first 512); decoding the head is enough
  const head = Buffer.from(b64.slice(0, 1024), 'base64');
  if (head.length === 0) throw new WireError('ERROR_INVALID_IMAGE', `Invalid image: ${label} is empty`, { taskapi: [3, 'ERROR_ZERO_CAPTCHA_FILESIZE'] });
  if (!sniffImageFormat(head)) {
    throw new WireError('ERROR_INVALID_IMAGE', `Invalid image: ${label} is not an image (no PNG, JPEG, GIF, WebP, BMP or SVG signature)`);
  }
  return b64;
}

function applyCase(text: string, caseSensitive: boolean | undefined): string {
  return caseSensitive === false ? text.toLowerCase() : text;
}

/** A solver's error → the answer CapSolver would give. */
function wireFromSolverError(error: unknown): WireError {
  if (error instanceof WireError) return error;
  const message = redactText(error instanceof Error ? error.message : String(error));
  if (error instanceof UnsolvableError || (isCaptchaSolverError(error) && error.code === 'ERROR_CAPTCHA_UNSOLVABLE')) {
    return new WireError('ERROR_CAPTCHA_UNSOLVABLE', `Captcha not recognized: ${message}`);
  }
  if (error instanceof InvalidImageError) return new WireError('ERROR_INVALID_IMAGE', `Invalid image: ${message}`);
  if (error instanceof TimeoutError) return new WireError('ERROR_TASK_TIMEOUT', `The task has timed out: ${message}`);
  return new WireError('ERROR_SERVICE_UNAVALIABLE', `Service is temporarily unavailable: the solver failed: ${message}`, { status: 503 });
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
