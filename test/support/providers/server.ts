/**
 * A real HTTP server on 127.0.0.1 (port 0) that speaks the captcha providers' JSON protocols, for the
 * solver tests. Each test configures replies per path (answers, error codes in 200 or 4xx bodies, delays,
 * 429 + Retry-After, 5xx, garbage, hanging sockets) and reads back every request body it received.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body text. */
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any;
  /** ms since the server started. */
  at: number;
}

export interface Reply {
  /** @default 200 */
  status?: number;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent verbatim (wins over `json`). */
  body?: string;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the socket stays open until the client gives up or the server closes). */
  hang?: boolean;
  /** Destroy the socket without an answer. */
  destroy?: boolean;
}

/** A fixed reply, or one computed from the request and how many requests this path has had (1-based). */
export type Route = Reply | ((req: RecordedRequest, count: number) => Reply | Promise<Reply>);

export class ProviderServer {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #routes = new Map<string, Route[]>();
  readonly #counts = new Map<string, number>();
  readonly #started = Date.now();
  url = '';

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void this.#handle(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks).toString('utf8'), res));
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  /** Queue replies for `path`: each request takes the next one, the last one repeats. Replaces earlier routes. */
  on(path: string, ...replies: Route[]): this {
    this.#routes.set(path, replies);
    this.#counts.set(path, 0);
    return this;
  }

  /** Requests received on `path`, in order. */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Forget routes and recorded requests. */
  reset(): void {
    this.requests.length = 0;
    this.#routes.clear();
    this.#counts.clear();
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const s of this.#sockets) s.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(method: string, url: string, headers: IncomingHttpHeaders, text: string, res: ServerResponse): Promise<void> {
    const path = url.split('?')[0] ?? '/';
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const rec: RecordedRequest = { method, path, headers, text, json, at: Date.now() - this.#started };
    this.requests.push(rec);
    const routes = this.#routes.get(path);
    const count = (this.#counts.get(path) ?? 0) + 1;
    this.#counts.set(path, count);
    if (!routes || routes.length === 0) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route for ${path}`);
      return;
    }
    const route = routes[Math.min(count, routes.length) - 1]!;
    let reply: Reply;
    try {
      reply = typeof route === 'function' ? await route(rec, count) : route;
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`route threw: ${String(error)}`);
      return;
    }
    if (reply.hang) return;
    if (reply.delayMs) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.#timers.delete(t);
          resolve();
        }, reply.delayMs);
        this.#timers.add(t);
      });
      if (res.destroyed) return;
    }
    if (reply.destroy) {
      res.socket?.destroy();
      return;
    }
    const body = reply.body ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
    const type = reply.body !== undefined ? 'text/plain' : 'application/json';
    res.writeHead(reply.status ?? 200, { 'content-type': type, ...reply.headers }).end(body);
  }
}

export async function startProviderServer(): Promise<ProviderServer> {
  return new ProviderServer().listen();
}

/** An error body as all four providers send it. */
export function errorBody(errorCode: string, errorDescription = `${errorCode} description`, errorId = 1): Record<string, unknown> {
  return { errorId, errorCode, errorDescription };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface CapSolverProtocolOptions {
  /** The key the fake account has. */
  apiKey: string;
  /** What the fake recogniser reads. @default 'x7k2p' */
  answer?: string | ((task: Record<string, unknown>) => string);
  /** Answer createTask with `processing`, then this many `processing` polls before `ready`. @default 0 (synchronous) */
  processingPolls?: number;
  /** @default 12.5 */
  balance?: number;
}

/**
 * Installs CapSolver's endpoints: checks `clientKey` (401 ERROR_KEY_DOES_NOT_EXIST otherwise), the task
 * type and base64 body (400 ERROR_INVALID_TASK_DATA), and answers ready (or processing, then ready).
 */
export function speakCapSolver(server: ProviderServer, options: CapSolverProtocolOptions): void {
  const tasks = new Map<string, { polls: number; text: string }>();
  let next = 1;
  const auth = (req: RecordedRequest): Reply | undefined =>
    req.json?.clientKey === options.apiKey ? undefined : { status: 401, json: errorBody('ERROR_KEY_DOES_NOT_EXIST', 'Invalid clientKey') };
  server.on('/createTask', (req) => {
    const denied = auth(req);
    if (denied) return denied;
    const task = req.json?.task as Record<string, unknown> | undefined;
    if (!task || task.type !== 'ImageToTextTask') return { status: 400, json: errorBody('ERROR_INVALID_TASK_DATA', 'invalid task data: type') };
    const body = task.body;
    if (typeof body !== 'string' || !BASE64.test(body)) return { status: 400, json: errorBody('ERROR_INVALID_TASK_DATA', 'invalid task data: body is not base64') };
    const text = typeof options.answer === 'function' ? options.answer(task) : options.answer ?? 'x7k2p';
    const taskId = `cs-${next++}`;
    if (options.processingPolls && options.processingPolls > 0) {
      tasks.set(taskId, { polls: options.processingPolls, text });
      return { json: { errorId: 0, errorCode: '', errorDescription: '', status: 'processing', taskId } };
    }
    return { json: { errorId: 0, errorCode: '', errorDescription: '', status: 'ready', solution: { text }, taskId } };
  });
  server.on('/getTaskResult', (req) => {
    const denied = auth(req);
    if (denied) return denied;
    const t = tasks.get(String(req.json?.taskId));
    if (!t) return { status: 400, json: errorBody('ERROR_TASKID_INVALID', 'Task ID does not exist or is invalid') };
    if (t.polls > 0) {
      t.polls--;
      return { json: { errorId: 0, status: 'processing', taskId: req.json.taskId } };
    }
    return { json: { errorId: 0, status: 'ready', solution: { text: t.text }, taskId: req.json.taskId } };
  });
  server.on('/getBalance', (req) => auth(req) ?? { json: { errorId: 0, balance: options.balance ?? 12.5, packages: [] } });
  server.on('/feedbackTask', (req) => {
    const denied = auth(req);
    if (denied) return denied;
    if (req.json?.result?.invalid !== true || typeof req.json?.taskId !== 'string') {
      return { status: 400, json: errorBody('ERROR_INVALID_TASK_DATA', 'invalid feedback') };
    }
    return { json: { errorId: 0, message: 'ok' } };
  });
}

export interface TaskApiProtocolOptions {
  apiKey: string;
  /** @default 'w9h4n' */
  answer?: string | ((task: Record<string, unknown>) => string);
  /** `processing` answers before `ready`, per task. @default 1 */
  processingPolls?: number;
  /** @default 3.21 */
  balance?: number;
}

/**
 * Installs the createTask / getTaskResult endpoints of Anti-Captcha, CapMonster Cloud and 2Captcha: integer
 * task ids, `processing` then `ready`, errors in HTTP 200 bodies as those APIs send them.
 */
export function speakTaskApi(server: ProviderServer, options: TaskApiProtocolOptions): void {
  const tasks = new Map<number, { polls: number; text: string }>();
  let next = 1000;
  const auth = (req: RecordedRequest): Reply | undefined =>
    req.json?.clientKey === options.apiKey ? undefined : { json: errorBody('ERROR_KEY_DOES_NOT_EXIST', 'Account authorization key not found in the system') };
  server.on('/createTask', (req) => {
    const denied = auth(req);
    if (denied) return denied;
    const task = req.json?.task as Record<string, unknown> | undefined;
    if (!task) return { json: errorBody('ERROR_TASK_ABSENT', 'Task property is empty or not set', 22) };
    if (task.type !== 'ImageToTextTask') return { json: errorBody('ERROR_TASK_NOT_SUPPORTED', 'Task type is not supported', 23) };
    const body = typeof task.body === 'string' ? task.body : '';
    if (!BASE64.test(body)) return { json: errorBody('ERROR_IMAGE_TYPE_NOT_SUPPORTED', 'Could not determine captcha file type', 15) };
    const size = Buffer.from(body, 'base64').length;
    if (size < 100) return { json: errorBody('ERROR_ZERO_CAPTCHA_FILESIZE', 'The size of the captcha you are uploading is less than 100 bytes.', 3) };
    const taskId = next++;
    tasks.set(taskId, { polls: options.processingPolls ?? 1, text: typeof options.answer === 'function' ? options.answer(task) : options.answer ?? 'w9h4n' });
    return { json: { errorId: 0, taskId } };
  });
  server.on('/getTaskResult', (req) => {
    const denied = auth(req);
    if (denied) return denied;
    const id = req.json?.taskId;
    const t = typeof id === 'number' ? tasks.get(id) : undefined;
    if (!t) return { json: errorBody('ERROR_NO_SUCH_CAPCHA_ID', 'Task you are requesting does not exist in your current task list or has been expired.', 16) };
    if (t.polls > 0) {
      t.polls--;
      return { json: { errorId: 0, status: 'processing' } };
    }
    return { json: { errorId: 0, status: 'ready', solution: { text: t.text, url: 'http://127.0.0.1/img.jpg' }, cost: '0.000700', createTime: 1, endTime: 2, solveCount: 0 } };
  });
  server.on('/getBalance', (req) => auth(req) ?? { json: { errorId: 0, balance: options.balance ?? 3.21 } });
  const report = (req: RecordedRequest): Reply => {
    const denied = auth(req);
    if (denied) return denied;
    return typeof req.json?.taskId === 'number' && tasks.has(req.json.taskId)
      ? { json: { errorId: 0, status: 'success' } }
      : { json: errorBody('ERROR_NO_SUCH_CAPCHA_ID', 'Task does not exist', 16) };
  };
  server.on('/reportIncorrectImageCaptcha', report);
  server.on('/reportIncorrect', report);
}
