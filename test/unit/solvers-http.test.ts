import { execFile } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Deadline } from '../../src/core/deadline.js';
import { AuthError, BalanceError, InvalidImageError, ProviderError, ProviderUnavailableError, RateLimitError, TimeoutError } from '../../src/core/errors.js';
import { CapSolver, CAPSOLVER_ERRORS, type CapSolverOptions } from '../../src/solvers/capsolver.js';
import { HTTP_DEFAULTS, JsonClient, backoffDelay, parseRetryAfter, type JsonClientConfig } from '../../src/solvers/http.js';
import { errorBody, startProviderServer, type ProviderServer } from '../support/providers/server.js';

const KEY = 'CAP-HTTPTEST-00112233445566778899AABB';
const BODY = Buffer.from('fake png bytes for the http layer').toString('base64');
const READY = { json: { errorId: 0, status: 'ready', solution: { text: 'ok' }, taskId: 't1' } };
let server: ProviderServer;

beforeAll(async () => {
  server = await startProviderServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => server.reset());

const make = (options: CapSolverOptions = {}) =>
  new CapSolver({ apiKey: KEY, baseUrl: server.url, retries: 2, retry: { minDelay: 1, maxDelay: 5 }, ...options });

const client = (config: Partial<JsonClientConfig> = {}) =>
  new JsonClient({
    provider: 'test',
    baseUrl: server.url,
    attemptTimeout: 5_000,
    retries: 2,
    retry: { ...HTTP_DEFAULTS.retry, minDelay: 1, maxDelay: 5 },
    errors: CAPSOLVER_ERRORS,
    ...config,
  });

describe('retries', () => {
  it('retries 5xx and succeeds on the third attempt', async () => {
    server.on('/createTask', { status: 500, body: 'boom' }, { status: 503, json: { message: 'busy' } }, READY);
    await expect(make().solve({ body: BODY })).resolves.toMatchObject({ text: 'ok' });
    expect(server.requestsTo('/createTask')).toHaveLength(3);
    // Every attempt sends the same body.
    const bodies = new Set(server.requests.map((r) => r.text));
    expect(bodies.size).toBe(1);
  });

  it('gives up after 1 + retries attempts with the last error and a call log', async () => {
    server.on('/createTask', { status: 502, body: 'bad gateway' });
    const err = await make({ retries: 3 }).solve({ body: BODY }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err.status).toBe(502);
    expect(server.requests).toHaveLength(4);
    expect(err.log.filter((l: string) => l.includes('attempt'))).toHaveLength(4);
    expect(err.log.join('\n')).toContain('attempt 4/4');
  });

  it('retries: 0 sends exactly once', async () => {
    server.on('/createTask', { status: 500, body: 'x' });
    await expect(make({ retries: 0 }).solve({ body: BODY })).rejects.toThrow(ProviderUnavailableError);
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    ['ERROR_ZERO_BALANCE', BalanceError],
    ['ERROR_KEY_DOES_NOT_EXIST', AuthError],
    ['ERROR_INVALID_IMAGE', InvalidImageError],
    ['ERROR_INVALID_TASK_DATA', ProviderError],
  ] as const)('never resends %s', async (code, cls) => {
    server.on('/createTask', { status: 400, json: errorBody(code) }, READY);
    await expect(make({ retries: 5 }).solve({ body: BODY })).rejects.toThrow(cls);
    expect(server.requests).toHaveLength(1);
  });

  it('resends a retryable code in an HTTP 200 body (ERROR_SERVICE_UNAVALIABLE)', async () => {
    server.on('/createTask', { json: errorBody('ERROR_SERVICE_UNAVALIABLE') }, READY);
    await expect(make().solve({ body: BODY })).resolves.toMatchObject({ text: 'ok' });
    expect(server.requests).toHaveLength(2);
  });

  it('retries a dropped connection, then succeeds', async () => {
    server.on('/createTask', { destroy: true }, READY);
    await expect(make().solve({ body: BODY })).resolves.toMatchObject({ text: 'ok' });
    expect(server.requests).toHaveLength(2);
  });

  it('retries an attempt that exceeds attemptTimeout, then fails with ICS_ERR_ATTEMPT_TIMEOUT', async () => {
    server.on('/createTask', { hang: true }, READY);
    // generous enough that the quick second answer never times out on a loaded 2-core CI machine
    await expect(make({ attemptTimeout: 1_000 }).solve({ body: BODY })).resolves.toMatchObject({ text: 'ok' });
    expect(server.requests).toHaveLength(2);

    server.reset();
    server.on('/createTask', { delayMs: 2_000, ...READY });
    const t0 = Date.now();
    const err = await make({ attemptTimeout: 80, retries: 1 }).solve({ body: BODY }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err.code).toBe('ICS_ERR_ATTEMPT_TIMEOUT');
    expect(err.message).toMatch(/^CapSolver\.solve: No answer within attemptTimeout 80ms/);
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - t0).toBeLessThan(1_500);
  });

  it('uses a caller-supplied undici dispatcher', async () => {
    const agent = new Agent({ connections: 1 });
    let dispatched = 0;
    const counting = agent.compose((dispatch) => (opts, handler) => {
      dispatched++;
      return dispatch(opts, handler);
    });
    server.on('/createTask', READY);
    await make({ dispatcher: counting }).solve({ body: BODY });
    expect(dispatched).toBe(1);
    await agent.close();
  });
});

describe('Retry-After', () => {
  it('waits the seconds a 429 asks for before retrying', async () => {
    server.on('/createTask', { status: 429, headers: { 'retry-after': '1' }, body: 'slow down' }, READY);
    await expect(make().solve({ body: BODY })).resolves.toMatchObject({ text: 'ok' });
    const [a, b] = server.requests;
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(900);
  });

  it('honours an HTTP-date Retry-After on ERROR_RATE_LIMIT', async () => {
    const at = new Date(Date.now() + 1_500).toUTCString();
    server.on('/createTask', { status: 429, headers: { 'retry-after': at }, json: errorBody('ERROR_RATE_LIMIT') }, READY);
    await expect(make().solve({ body: BODY })).resolves.toMatchObject({ text: 'ok' });
    const [a, b] = server.requests;
    // HTTP dates have 1 s resolution: the wait is between 0.5 s and 1.5 s.
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(400);
  });

  it('honours Retry-After on a 503 too', async () => {
    server.on('/createTask', { status: 503, headers: { 'retry-after': '1' }, body: 'maintenance' }, READY);
    await expect(make().solve({ body: BODY })).resolves.toMatchObject({ text: 'ok' });
    const [a, b] = server.requests;
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(900);
  });

  it('does not wait past the deadline: the RateLimitError comes at once', async () => {
    server.on('/createTask', { status: 429, headers: { 'retry-after': '30' }, json: errorBody('ERROR_RATE_LIMIT', 'too fast') }, READY);
    const t0 = Date.now();
    const err = await make({ timeout: 5_000 }).solve({ body: BODY }).catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.retryAfterMs).toBe(30_000);
    expect(err.code).toBe('ERROR_RATE_LIMIT');
    expect(server.requests).toHaveLength(1);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(err.log.join('\n')).toMatch(/not retrying: Retry-After 30000ms/);
  });

  it('does not wait longer than retry.maxRetryAfter', async () => {
    server.on('/createTask', { status: 429, headers: { 'retry-after': '2' }, body: '' }, READY);
    const err = await make({ timeout: 0, retry: { minDelay: 1, maxDelay: 5, maxRetryAfter: 500 } }).solve({ body: BODY }).catch((e) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(server.requests).toHaveLength(1);
  });

  it('parses seconds, dates and junk', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['7'], now)).toBe(7000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('backoffDelay (full jitter)', () => {
  const opts = { minDelay: 100, maxDelay: 1_000, factor: 2, maxRetryAfter: 0 };
  it('grows exponentially up to maxDelay', () => {
    expect(backoffDelay(0, opts, () => 0.999999)).toBe(99);
    expect(backoffDelay(1, opts, () => 0.999999)).toBe(199);
    expect(backoffDelay(3, opts, () => 0.999999)).toBe(799);
    expect(backoffDelay(10, opts, () => 0.999999)).toBe(999);
  });
  it('stays within [0, ceiling] for random draws', () => {
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(2, opts);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(400);
    }
    expect(backoffDelay(5, opts, () => 0)).toBe(0);
  });
});

describe('deadlines and aborts', () => {
  it('cuts a never-answering server with TimeoutError', async () => {
    server.on('/createTask', { hang: true });
    const t0 = Date.now();
    const err = await make({ timeout: 150 }).solve({ body: BODY }).catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toMatch(/^CapSolver\.solve: Timeout 150ms exceeded/);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(server.requests).toHaveLength(1);
  });

  it('a per-call timeout overrides the instance one', async () => {
    server.on('/createTask', { hang: true });
    const err = await make({ timeout: 60_000 }).solve({ body: BODY }, { timeout: 100 }).catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.timeout).toBe(100);
  });

  it('a per-call timeout of Infinity or beyond a timer means no limit; a negative one is refused', async () => {
    server.on('/createTask', { delayMs: 60, ...READY });
    await expect(make().solve({ body: BODY }, { timeout: Number.POSITIVE_INFINITY })).resolves.toMatchObject({ text: 'ok' });
    await expect(make().solve({ body: BODY }, { timeout: 3_000_000_000 })).resolves.toMatchObject({ text: 'ok' });
    // the refused timeout sends nothing (counted around that call: a late request of an earlier test once landed here)
    const sent = server.requests.length;
    await expect(make().solve({ body: BODY }, { timeout: -5 })).rejects.toThrow(/timeout/);
    expect(server.requests).toHaveLength(sent);
    expect(server.requestsTo('/createTask').length).toBeGreaterThanOrEqual(2);
  });

  it('the deadline also cuts retry backoff', async () => {
    server.on('/createTask', { status: 503, body: 'down' });
    const t0 = Date.now();
    const err = await make({ timeout: 200, retries: 10, retry: { minDelay: 10_000, maxDelay: 10_000, factor: 1 } }).solve({ body: BODY }).catch((e) => e);
    // Either the backoff sleep was cut (TimeoutError), never a 10 s wait.
    expect(err).toBeInstanceOf(TimeoutError);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('an abort during the request rejects with signal.reason itself', async () => {
    server.on('/createTask', { hang: true });
    const ac = new AbortController();
    const reason = new Error('user cancelled');
    const pending = make().solve({ body: BODY }, { signal: ac.signal });
    setTimeout(() => ac.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('an abort during backoff rejects with signal.reason, with no further attempt', async () => {
    server.on('/createTask', { status: 500, body: 'x' });
    const ac = new AbortController();
    const reason = { why: 'stop' };
    const pending = make({ retry: { minDelay: 5_000, maxDelay: 5_000, factor: 1 } }).solve({ body: BODY }, { signal: ac.signal });
    // Backoff is random in [0, 5000): wait for the first attempt, then abort while asleep.
    for (let i = 0; i < 100 && server.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    ac.abort(reason);
    await expect(pending).rejects.toBe(reason);
    const n = server.requests.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(server.requests.length).toBe(n);
  });

  it('an already-aborted signal sends nothing', async () => {
    server.on('/createTask', READY);
    const ac = new AbortController();
    ac.abort('early');
    await expect(make().solve({ body: BODY }, { signal: ac.signal })).rejects.toBe('early');
    expect(server.requests).toHaveLength(0);
  });

  it('an abort while polling rejects with the reason', async () => {
    server.on('/createTask', { json: { errorId: 0, status: 'processing', taskId: 'p1' } });
    server.on('/getTaskResult', { json: { errorId: 0, status: 'processing' } });
    const ac = new AbortController();
    const reason = new Error('page closed');
    const pending = make({ pollInterval: 20 }).solve({ body: BODY }, { signal: ac.signal });
    // abort once polling has begun (a fixed delay raced the first poll on a loaded machine)
    while (server.requestsTo('/getTaskResult').length === 0) await sleep(5);
    ac.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(server.requestsTo('/getTaskResult').length).toBeGreaterThan(0);
  });

  it('JsonClient.post uses the given Deadline and leaves no listener behind', async () => {
    server.on('/x', { json: { errorId: 0, value: 1 } });
    const ac = new AbortController();
    const deadline = new Deadline({ timeout: 2_000, signal: ac.signal });
    await expect(client().post('/x', { a: 1 }, { deadline, call: 'test.post' })).resolves.toEqual({ errorId: 0, value: 1 });
    expect(getEventListeners(deadline.signal, 'abort')).toHaveLength(0);
    deadline.dispose();
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    expect(server.requestsTo('/x')[0]!.json).toEqual({ a: 1 });
  });

  it('JsonClient.post with retry: false sends once', async () => {
    server.on('/x', { status: 500, body: 'x' });
    const deadline = new Deadline({ timeout: 2_000 });
    await expect(client().post('/x', {}, { deadline, call: 'test.post', retry: false })).rejects.toThrow(ProviderUnavailableError);
    deadline.dispose();
    expect(server.requests).toHaveLength(1);
  });
});

describe('debug traces', () => {
  it('NODE_DEBUG=image-captcha traces each request without the key', async () => {
    server.on('/createTask', { status: 500, body: 'x' }, { status: 400, json: errorBody('ERROR_ZERO_BALANCE', 'no money') });
    const dir = mkdtempSync(join(tmpdir(), 'ics-debug-'));
    const script = join(dir, 'trace.mts');
    const mod = pathToFileURL(resolve('src/solvers/capsolver.ts')).href;
    writeFileSync(
      script,
      `import { CapSolver } from ${JSON.stringify(mod)};
const s = new CapSolver({ apiKey: ${JSON.stringify(KEY)}, baseUrl: ${JSON.stringify(server.url)}, retry: { minDelay: 1, maxDelay: 2 } });
await s.solve({ body: ${JSON.stringify(BODY)} }).catch((e) => console.log('ERR', e.code));
`,
    );
    try {
      const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((done, fail) => {
        execFile(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, NODE_DEBUG: 'image-captcha' }, timeout: 30_000 }, (error, stdout, stderr) =>
          error ? fail(Object.assign(error, { stderr })) : done({ stdout, stderr }),
        );
      });
      expect(stdout).toContain('ERR ERROR_ZERO_BALANCE');
      expect(stderr).toMatch(/IMAGE-CAPTCHA \d+: capsolver: POST .*\/createTask → ICS_ERR_PROVIDER_UNAVAILABLE \(HTTP 500\)/);
      expect(stderr).toMatch(/capsolver: retrying in \d+ms/);
      expect(stderr).toContain('ERROR_ZERO_BALANCE');
      expect(stderr + stdout).not.toContain(KEY);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
