import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AuthError,
  BalanceError,
  CaptchaSolverError,
  InvalidImageError,
  InvalidOptionError,
  ProviderError,
  ProviderUnavailableError,
  RateLimitError,
  UnsolvableError,
} from '../../src/core/errors.js';
import { CapSolver, type CapSolverOptions } from '../../src/solvers/capsolver.js';
import { errorBody, speakCapSolver, startProviderServer, type ProviderServer } from '../support/providers/server.js';
import { captchaPng } from '../support/providers/images.js';

const KEY = 'CAP-7D1E4C0A9B8F4E2D8C6B5A4F3E2D1C0B';
let server: ProviderServer;
let png: Buffer;

beforeAll(async () => {
  server = await startProviderServer();
  png = await captchaPng('x7k2p');
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.reset();
  vi.unstubAllEnvs();
});

/**
 * CapSolver's multi-image answer: createTask (images) → `solution.answers`, synchronously, or after
 * `processingPolls` processing polls of getTaskResult. `read` gets the images as sent.
 */
function speakImages(srv: ProviderServer, read: (images: string[]) => string[], processingPolls = 0): void {
  let answers: string[] = [];
  srv.on('/createTask', (req) => {
    if (req.json?.clientKey !== KEY) return { status: 401, json: errorBody('ERROR_KEY_DOES_NOT_EXIST') };
    const task = req.json.task as Record<string, unknown>;
    if (!Array.isArray(task.images)) return { status: 400, json: errorBody('ERROR_INVALID_TASK_DATA', 'no images') };
    answers = read(task.images as string[]);
    if (processingPolls > 0) return { json: { errorId: 0, status: 'processing', taskId: 'img-1' } };
    return { json: { errorId: 0, errorCode: '', errorDescription: '', status: 'ready', solution: { answers }, taskId: 'img-1' } };
  });
  srv.on('/getTaskResult', (_req, count) =>
    count <= processingPolls ? { json: { errorId: 0, status: 'processing', taskId: 'img-1' } } : { json: { errorId: 0, status: 'ready', solution: { answers }, taskId: 'img-1' } },
  );
}

const make = (options: CapSolverOptions = {}) =>
  new CapSolver({ apiKey: KEY, baseUrl: server.url, pollInterval: 5, retry: { minDelay: 1, maxDelay: 5 }, ...options });

describe('CapSolver.solve', () => {
  it('sends createTask with every field, field by field, and returns the Solution', async () => {
    speakCapSolver(server, { apiKey: KEY, answer: 'x7k2p' });
    const solver = make();
    const solution = await solver.solve({ body: png.toString('base64'), websiteURL: 'https://shop.example/login', module: 'common', score: 0.9, case: true });
    const [req] = server.requestsTo('/createTask');
    expect(server.requests).toHaveLength(1);
    expect(req!.method).toBe('POST');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(Object.keys(req!.json).sort()).toEqual(['clientKey', 'task']);
    expect(req!.json.clientKey).toBe(KEY);
    expect(req!.json.task).toEqual({
      type: 'ImageToTextTask',
      websiteURL: 'https://shop.example/login',
      body: png.toString('base64'),
      module: 'common',
      score: 0.9,
      case: true,
    });
    expect(solution).toMatchObject({ text: 'x7k2p', taskId: 'cs-1', provider: 'capsolver' });
    expect(solution.elapsedMs).toBeGreaterThanOrEqual(0);
    expect(solution.raw).toMatchObject({ status: 'ready', solution: { text: 'x7k2p' } });
  });

  it('omits undefined fields and normalises Buffer and data-URL bodies', async () => {
    speakCapSolver(server, { apiKey: KEY });
    const solver = make();
    await solver.solve({ body: png as unknown as string });
    await solver.solve({ body: `data:image/png;base64,${png.toString('base64').replace(/(.{60})/g, '$1\n')}` });
    const [a, b] = server.requestsTo('/createTask');
    expect(a!.json.task).toEqual({ type: 'ImageToTextTask', body: png.toString('base64') });
    expect(b!.json.task).toEqual({ type: 'ImageToTextTask', body: png.toString('base64') });
    expect(b!.text).not.toContain('\\n');
  });

  it('sends `images` for the number module and reads solution.answers into answers and text', async () => {
    const b = png.toString('base64');
    const other = (await captchaPng('4071')).toString('base64');
    speakImages(server, (images) => images.map((img) => (img === b ? '58' : '4071')));
    const solution = await make().solve({ body: b, module: 'number', images: [b, `data:image/png;base64,${other}`, png as unknown as string] });
    const [req] = server.requestsTo('/createTask');
    expect(server.requests).toHaveLength(1);
    expect(req!.json.task).toEqual({ type: 'ImageToTextTask', body: b, module: 'number', images: [b, other, b] });
    expect(solution.answers).toEqual(['58', '4071', '58']);
    expect(solution.text).toBe('58407158');
    expect(solution).toMatchObject({ taskId: 'img-1', provider: 'capsolver' });
    expect(solution.raw).toMatchObject({ status: 'ready', solution: { answers: ['58', '4071', '58'] } });
  });

  it('an images task with an empty body sends only images; answers also come from getTaskResult', async () => {
    const b = png.toString('base64');
    speakImages(server, (images) => images.map((_, i) => String(i * 11)), 2);
    const solution = await make().solve({ body: '', module: 'number', images: [b, b, b, b] });
    const task = server.requestsTo('/createTask')[0]!.json.task;
    expect(task).toEqual({ type: 'ImageToTextTask', module: 'number', images: [b, b, b, b] });
    expect(server.requestsTo('/getTaskResult')).toHaveLength(3);
    expect(solution.answers).toEqual(['0', '11', '22', '33']);
    expect(solution.text).toBe('0112233');
  });

  it('a single-image task keeps solution.text and has no answers, even when the answer carries answers', async () => {
    server.on('/createTask', { json: { errorId: 0, status: 'ready', taskId: 't-1', solution: { text: 'x7k2p', answers: ['a', 'b'] } } });
    const solution = await make().solve({ body: png.toString('base64') });
    expect(solution.text).toBe('x7k2p');
    expect(solution.answers).toBeUndefined();
    expect('answers' in solution).toBe(false);
  });

  it('an images answer without answers, with the wrong count or a non-string → ProviderUnavailableError naming the task, not the key', async () => {
    const b = png.toString('base64');
    const cases: [unknown, RegExp][] = [
      [{ text: '1234' }, /has no solution\.answers/],
      [{ answers: ['12'] }, /has 1 solution\.answers for the 2 images sent/],
      [{ answers: ['12', '34', '56'] }, /has 3 solution\.answers for the 2 images sent/],
      [{ answers: ['12', 34] }, /solution\.answers\[1\] that is not a string \(number\)/],
      [{ answers: '1234' }, /solution\.answers that is not an array \(string\)/],
    ];
    for (const [solution, message] of cases) {
      server.reset();
      server.on('/createTask', { json: { errorId: 0, status: 'ready', taskId: 'task-77', solution } });
      const err = await make().solve({ body: b, module: 'number', images: [b, b] }).catch((e) => e);
      expect(err, JSON.stringify(solution)).toBeInstanceOf(ProviderUnavailableError);
      expect(err.code).toBe('ICS_ERR_BAD_RESPONSE');
      expect(err.provider).toBe('capsolver');
      expect(err.message).toMatch(message);
      expect(err.message).toContain('task task-77');
      expect(err.message).toContain(server.url);
      expect([err.message, inspect(err, { depth: 10 })].join('\n')).not.toContain(KEY);
      // a bad answer is not resent
      expect(server.requestsTo('/createTask')).toHaveLength(1);
    }
    // the same check on the getTaskResult path
    server.reset();
    server.on('/createTask', { json: { errorId: 0, status: 'processing', taskId: 'task-78' } });
    server.on('/getTaskResult', { json: { errorId: 0, status: 'ready', solution: { answers: ['1'] } } });
    const err = await make().solve({ body: b, module: 'number', images: [b, b] }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err.message).toMatch(/has 1 solution\.answers for the 2 images sent \(task task-78, /);
  });

  it('polls getTaskResult when createTask answers processing', async () => {
    speakCapSolver(server, { apiKey: KEY, answer: 'late', processingPolls: 2 });
    const solution = await make().solve({ body: png.toString('base64') });
    const polls = server.requestsTo('/getTaskResult');
    expect(polls).toHaveLength(3);
    for (const p of polls) expect(p.json).toEqual({ clientKey: KEY, taskId: 'cs-1' });
    expect(solution).toMatchObject({ text: 'late', taskId: 'cs-1' });
  });

  it('also polls on status idle, and rejects an unknown status', async () => {
    server.on('/createTask', { json: { errorId: 0, status: 'idle', taskId: 't-9' } });
    server.on('/getTaskResult', { json: { errorId: 0, status: 'processing' } }, { json: { errorId: 0, status: 'ready', solution: { text: 'ok9', confidence: 0.93 } } });
    const solution = await make().solve({ body: png.toString('base64') });
    expect(solution).toMatchObject({ text: 'ok9', taskId: 't-9', confidence: 0.93 });
    expect(server.requestsTo('/getTaskResult')).toHaveLength(2);

    server.reset();
    server.on('/createTask', { json: { errorId: 0, status: 'weird', taskId: 't-1' } });
    const err = await make().solve({ body: png.toString('base64') }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err.code).toBe('ICS_ERR_BAD_RESPONSE');
  });

  it('validates before sending: score, body, module type, images', async () => {
    speakCapSolver(server, { apiKey: KEY });
    const solver = make();
    const b = png.toString('base64');
    await expect(solver.solve({ body: b, score: 0.5 })).rejects.toThrow(InvalidOptionError);
    await expect(solver.solve({ body: b, score: 1.01 })).rejects.toThrow(/0\.8 to 1/);
    await expect(solver.solve({ body: b, score: Number.NaN })).rejects.toThrow(InvalidOptionError);
    await expect(solver.solve({ body: 'not base64!' })).rejects.toThrow(InvalidImageError);
    await expect(solver.solve({ body: '' })).rejects.toThrow(InvalidImageError);
    await expect(solver.solve({ body: b, module: '' })).rejects.toThrow(InvalidOptionError);
    await expect(solver.solve({ body: b, case: 'yes' as unknown as boolean })).rejects.toThrow(InvalidOptionError);
    await expect(solver.solve({ body: b, images: Array(10).fill(b) })).rejects.toThrow(/1 to 9/);
    await expect(solver.solve(undefined as never)).rejects.toThrow(InvalidOptionError);
    expect(server.requests).toHaveLength(0);
    await expect(solver.solve({ body: b, score: 0.8 })).resolves.toMatchObject({ provider: 'capsolver' });
    await expect(solver.solve({ body: b, score: 1 })).resolves.toMatchObject({ provider: 'capsolver' });
  });

  it('passes an unknown module through with a single process warning', async () => {
    speakCapSolver(server, { apiKey: KEY });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const solver = make();
      await solver.solve({ body: png.toString('base64'), module: 'module_042' });
      await solver.solve({ body: png.toString('base64'), module: 'module_042' });
      await solver.solve({ body: png.toString('base64'), module: 'queueit' });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    const ours = warnings.filter((w) => (w as Error & { code?: string }).code === 'ICS_UNKNOWN_MODULE');
    expect(ours).toHaveLength(1);
    expect(ours[0]!.message).toContain('module_042');
    expect(server.requestsTo('/createTask').map((r) => r.json.task.module)).toEqual(['module_042', 'module_042', 'queueit']);
  });

  it('fails with AuthError at solve time, not construction, when no key is set', async () => {
    vi.stubEnv('CAPSOLVER_API_KEY', '');
    speakCapSolver(server, { apiKey: KEY });
    const solver = new CapSolver({ baseUrl: server.url });
    expect(solver.hasApiKey).toBe(false);
    const err = await solver.solve({ body: png.toString('base64') }).catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.code).toBe('ICS_ERR_NO_API_KEY');
    expect(err.message).toMatch(/^CapSolver\.solve: No API key .*CAPSOLVER_API_KEY/);
    expect(err.message).toContain("createSolver('local')");
    await expect(solver.getBalance()).rejects.toThrow(AuthError);
    expect(server.requests).toHaveLength(0);
  });

  it('reads the key from CAPSOLVER_API_KEY and the origin from CAPSOLVER_API_BASE', async () => {
    vi.stubEnv('CAPSOLVER_API_KEY', KEY);
    vi.stubEnv('CAPSOLVER_API_BASE', server.url);
    speakCapSolver(server, { apiKey: KEY, answer: 'envok' });
    const solver = new CapSolver({ retry: { minDelay: 1, maxDelay: 2 } });
    expect(solver.baseUrl).toBe(server.url);
    await expect(solver.solve({ body: png.toString('base64') })).resolves.toMatchObject({ text: 'envok' });
    vi.unstubAllEnvs();
    vi.stubEnv('CAPSOLVER_API_BASE', '');
    expect(new CapSolver({ apiKey: KEY }).baseUrl).toBe('https://api.capsolver.com');
  });

  it('rejects bad constructor options', () => {
    expect(() => new CapSolver({ apiKey: KEY, baseUrl: 'ftp://x' })).toThrow(InvalidOptionError);
    expect(() => new CapSolver({ apiKey: KEY, baseUrl: 'not a url' })).toThrow(/baseUrl/);
    expect(() => new CapSolver({ apiKey: KEY, timeout: -1 })).toThrow(/timeout/);
    expect(() => new CapSolver({ apiKey: KEY, retries: 1.5 })).toThrow(/retries/);
  });
});

describe('CapSolver error codes', () => {
  // Independent of CAPSOLVER_ERRORS on purpose: this is the spec the table must meet.
  const expected: Record<string, [new (...a: never[]) => CaptchaSolverError, boolean]> = {
    ERROR_SERVICE_UNAVALIABLE: [ProviderUnavailableError, true],
    ERROR_RATE_LIMIT: [RateLimitError, true],
    ERROR_INVALID_TASK_DATA: [ProviderError, false],
    ERROR_BAD_REQUEST: [ProviderError, true],
    ERROR_TASKID_INVALID: [ProviderError, false],
    ERROR_TASK_TIMEOUT: [UnsolvableError, true],
    ERROR_SETTLEMENT_FAILED: [BalanceError, false],
    ERROR_KEY_DENIED_ACCESS: [AuthError, false],
    ERROR_ZERO_BALANCE: [BalanceError, false],
    ERROR_TASK_NOT_SUPPORTED: [ProviderError, false],
    ERROR_CAPTCHA_UNSOLVABLE: [UnsolvableError, true],
    ERROR_UNKNOWN_QUESTION: [ProviderError, false],
    ERROR_PROXY_BANNED: [ProviderError, false],
    ERROR_INVALID_IMAGE: [InvalidImageError, false],
    ERROR_PARSE_IMAGE_FAIL: [InvalidImageError, false],
    ERROR_IP_BANNED: [AuthError, false],
    ERROR_KEY_TEMP_BLOCKED: [AuthError, false],
    ERROR_KEY_DOES_NOT_EXIST: [AuthError, false],
  };
  const resent = new Set(['ERROR_SERVICE_UNAVALIABLE', 'ERROR_RATE_LIMIT']);
  const cases = Object.entries(expected).flatMap(([code, [cls, retryable]]) =>
    [200, code.startsWith('ERROR_KEY') ? 401 : 400].map((status) => ({ code, cls, retryable, status })),
  );

  it.each(cases)('$code in an HTTP $status body → $cls.name, retryable $retryable', async ({ code, cls, retryable, status }) => {
    const description = `${code.toLowerCase()} happened`;
    server.on('/createTask', { status, json: errorBody(code, description) });
    const err = await make({ retries: 2 }).solve({ body: png.toString('base64') }).catch((e) => e);
    expect(err).toBeInstanceOf(cls);
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
    expect(err.description).toBe(description);
    expect(err.provider).toBe('capsolver');
    expect(err.status).toBe(status);
    expect(err.hint).toBeTruthy();
    expect(err.message).toBe(`CapSolver.solve: ${code} ${description} (POST ${server.url}/createTask, HTTP ${status}). ${err.hint}`);
    expect(server.requestsTo('/createTask')).toHaveLength(resent.has(code) ? 3 : 1);
  });

  it('maps an unknown code to ProviderError, retryable only on 5xx', async () => {
    server.on('/createTask', { status: 400, json: errorBody('ERROR_BRAND_NEW', 'new thing') });
    const err = await make().solve({ body: png.toString('base64') }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'ERROR_BRAND_NEW', retryable: false, status: 400, description: 'new thing' });
    expect(server.requests).toHaveLength(1);
  });

  it('maps errors from getTaskResult too', async () => {
    server.on('/createTask', { json: { errorId: 0, status: 'processing', taskId: 'abc' } });
    server.on('/getTaskResult', { json: errorBody('ERROR_CAPTCHA_UNSOLVABLE', 'could not read') });
    const err = await make().solve({ body: png.toString('base64') }).catch((e) => e);
    expect(err).toBeInstanceOf(UnsolvableError);
    expect(err.message).toContain(`${server.url}/getTaskResult`);
  });

  it.each([
    ['garbage text', { status: 200, body: '<html>oops</html>' }, 'ICS_ERR_BAD_RESPONSE'],
    ['an empty body', { status: 200, body: '' }, 'ICS_ERR_BAD_RESPONSE'],
    ['a JSON array', { status: 200, json: [1, 2] }, 'ICS_ERR_BAD_RESPONSE'],
    ['a 502 HTML page', { status: 502, body: '<h1>Bad Gateway</h1>' }, 'ICS_ERR_PROVIDER_UNAVAILABLE'],
    ['a 404 with a non-JSON body', { status: 404, body: 'Cannot POST /createTask' }, 'ICS_ERR_BAD_RESPONSE'],
  ])('turns %s into ProviderUnavailableError with the status and an excerpt', async (_name, reply, code) => {
    server.on('/createTask', reply);
    const err = await make({ retries: 1 }).solve({ body: png.toString('base64') }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err.code).toBe(code);
    // Resent once unless it is a 4xx (wrong URL or request: sending again cannot help).
    expect(err.retryable).toBe(reply.status !== 404);
    expect(server.requests).toHaveLength(reply.status === 404 ? 1 : 2);
    expect(err.status).toBe(reply.status);
    expect(err.message).toContain(`HTTP ${reply.status}`);
    const text = 'body' in reply ? (reply.body as string) : JSON.stringify(reply.json);
    expect(err.message).toContain(text === '' ? '(empty body)' : text.slice(0, 10));
  });

  it('treats a 401 without a JSON error as AuthError', async () => {
    server.on('/createTask', { status: 401, body: 'Unauthorized' });
    const err = await make().solve({ body: png.toString('base64') }).catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.status).toBe(401);
    expect(server.requests).toHaveLength(1);
  });

  it('answers a wrong key with AuthError from the server protocol', async () => {
    speakCapSolver(server, { apiKey: KEY });
    const err = await make({ apiKey: 'CAP-WRONGWRONGWRONG0000' }).solve({ body: png.toString('base64') }).catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ code: 'ERROR_KEY_DOES_NOT_EXIST', status: 401 });
  });
});

describe('CapSolver balance and feedback', () => {
  it('getBalance posts { clientKey } and returns balance and packages', async () => {
    server.on('/getBalance', { json: { errorId: 0, balance: 7.25, packages: [{ packageId: 'p1' }] } });
    await expect(make().getBalance()).resolves.toEqual({ balance: 7.25, packages: [{ packageId: 'p1' }] });
    expect(server.requestsTo('/getBalance')[0]!.json).toEqual({ clientKey: KEY });
  });

  it('getBalance rejects an answer without a balance', async () => {
    server.on('/getBalance', { json: { errorId: 0 } });
    await expect(make({ retries: 0 }).getBalance()).rejects.toThrow(ProviderUnavailableError);
  });

  it('reportIncorrect posts feedbackTask { clientKey, taskId, result: { invalid: true } }', async () => {
    speakCapSolver(server, { apiKey: KEY });
    const solver = make({ appId: 'APP-1' });
    const solution = await solver.solve({ body: png.toString('base64') });
    await solver.reportIncorrect(solution);
    const fb = server.requestsTo('/feedbackTask')[0]!.json;
    expect(fb).toEqual({ clientKey: KEY, appId: 'APP-1', taskId: solution.taskId, result: { invalid: true } });
    expect(server.requestsTo('/createTask')[0]!.json.appId).toBe('APP-1');
    await expect(solver.reportIncorrect({ text: 'x', provider: 'capsolver', elapsedMs: 1 })).rejects.toThrow(InvalidOptionError);
  });
});

describe('CapSolver key redaction', () => {
  it('keeps the key out of inspect, JSON, error messages, descriptions and causes', async () => {
    const solver = make();
    expect(inspect(solver)).not.toContain(KEY);
    expect(inspect(solver, { showHidden: true, depth: 10 })).not.toContain(KEY);
    expect(JSON.stringify(solver)).not.toContain(KEY);
    expect(inspect(solver)).toContain('[redacted]');

    // A server that echoes the key back in its description and in a garbage body.
    server.on('/createTask', (req) => ({ status: 400, json: errorBody('ERROR_KEY_DENIED_ACCESS', `key ${req.json.clientKey} denied`) }));
    const err = await solver.solve({ body: png.toString('base64') }).catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    const dump = [err.message, err.description, inspect(err, { depth: 10 }), JSON.stringify(err), String(err), err.stack].join('\n');
    expect(dump).not.toContain(KEY);

    server.on('/createTask', (req) => ({ status: 200, body: `oops ${req.text}` }));
    const err2 = await make({ retries: 0 }).solve({ body: png.toString('base64') }).catch((e) => e);
    expect(err2).toBeInstanceOf(ProviderUnavailableError);
    expect([err2.message, inspect(err2, { depth: 10 })].join('\n')).not.toContain(KEY);
  });

  it('keeps the key out of network errors and their cause chain', async () => {
    const dead = await startProviderServer();
    const url = dead.url;
    await dead.close();
    const err = await make({ baseUrl: url, retries: 0 }).solve({ body: png.toString('base64') }).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderUnavailableError);
    expect(err.code).toBe('ICS_ERR_NETWORK');
    expect(err.message).toMatch(/ECONNREFUSED/);
    let chain = '';
    for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) chain += inspect(e, { depth: 5 });
    expect(chain).not.toContain(KEY);
  });
});
