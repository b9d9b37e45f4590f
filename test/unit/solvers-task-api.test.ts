import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AuthError,
  BalanceError,
  InvalidImageError,
  InvalidOptionError,
  ProviderError,
  ProviderUnavailableError,
  RateLimitError,
  TimeoutError,
  UnsolvableError,
} from '../../src/core/errors.js';
import { sniffImageFormat } from '../../src/core/image.js';
import { AntiCaptcha, CapMonsterCloud, TwoCaptcha, type TaskApiOptions, type TaskApiSolver } from '../../src/solvers/task-api.js';
import { captchaPng, dimensions, noisyPng, webp } from '../support/providers/images.js';
import { errorBody, speakTaskApi, startProviderServer, type ProviderServer } from '../support/providers/server.js';

const KEY = 'f3a9c1d27b8e4a5f9c0d1e2f3a4b5c6d';
let server: ProviderServer;
let png: Buffer;
let body: string;

beforeAll(async () => {
  server = await startProviderServer();
  png = await captchaPng('w9h4n');
  body = png.toString('base64');
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.reset();
  vi.unstubAllEnvs();
});

const fast = { pollInitialDelay: 5, pollInterval: 5, retry: { minDelay: 1, maxDelay: 5 } } satisfies TaskApiOptions;

const providers = [
  { label: 'AntiCaptcha', name: 'anticaptcha', env: 'ANTICAPTCHA_API_KEY', report: '/reportIncorrectImageCaptcha', make: (o: TaskApiOptions = {}) => new AntiCaptcha({ apiKey: KEY, baseUrl: server.url, ...fast, ...o }) },
  { label: 'CapMonsterCloud', name: 'capmonster', env: 'CAPMONSTER_API_KEY', report: '/reportIncorrectImageCaptcha', make: (o: TaskApiOptions = {}) => new CapMonsterCloud({ apiKey: KEY, baseUrl: server.url, ...fast, ...o }) },
  { label: 'TwoCaptcha', name: '2captcha', env: 'TWOCAPTCHA_API_KEY', report: '/reportIncorrect', make: (o: TaskApiOptions = {}) => new TwoCaptcha({ apiKey: KEY, baseUrl: server.url, ...fast, ...o }) },
] as const;

describe.each(providers)('$label', ({ label, name, env, report, make }) => {
  it('creates the task, polls until ready and returns the Solution', async () => {
    speakTaskApi(server, { apiKey: KEY, answer: 'w9h4n', processingPolls: 2 });
    const solution = await make().solve({ body });
    const create = server.requestsTo('/createTask');
    expect(create).toHaveLength(1);
    expect(create[0]!.json).toEqual({ clientKey: KEY, task: { type: 'ImageToTextTask', body } });
    const polls = server.requestsTo('/getTaskResult');
    expect(polls).toHaveLength(3);
    for (const p of polls) expect(p.json).toEqual({ clientKey: KEY, taskId: 1000 });
    expect(solution).toMatchObject({ text: 'w9h4n', taskId: '1000', provider: name });
    expect(solution.raw).toMatchObject({ status: 'ready', cost: '0.000700' });
  });

  it('waits pollInitialDelay before the first poll', async () => {
    speakTaskApi(server, { apiKey: KEY, processingPolls: 0 });
    await make({ pollInitialDelay: 250 }).solve({ body });
    const [create] = server.requestsTo('/createTask');
    const [poll] = server.requestsTo('/getTaskResult');
    expect(poll!.at - create!.at).toBeGreaterThanOrEqual(200);
  });

  it('maps case and the worker hints field by field, omitting what is unset', async () => {
    speakTaskApi(server, { apiKey: KEY, processingPolls: 0 });
    const solver = make({ task: { minLength: 4 } });
    await solver.solve({ body, case: true, phrase: false, numeric: 1, math: false, maxLength: 6, comment: 'red letters', websiteURL: 'https://site.example/' });
    const task = server.requestsTo('/createTask')[0]!.json.task;
    const expected: Record<string, unknown> = { type: 'ImageToTextTask', body, case: true, phrase: false, numeric: 1, math: false, minLength: 4, maxLength: 6 };
    if (name !== 'capmonster') expected.comment = 'red letters';
    if (name === 'anticaptcha') expected.websiteURL = 'https://site.example/';
    expect(task).toEqual(expected);
  });

  it("sends CapSolver's digits-only module `number` as numeric: 1, unless numeric is set", async () => {
    speakTaskApi(server, { apiKey: KEY, processingPolls: 0 });
    const solver = make();
    await solver.solve({ body, module: 'number' });
    await solver.solve({ body, module: 'number', numeric: 0 });
    await solver.solve({ body, module: 'common' });
    const sent = server.requestsTo('/createTask').map((r) => (r.json.task as { numeric?: number }).numeric);
    expect(sent).toEqual([1, 0, undefined]);
  });

  it('validates hints before sending', async () => {
    speakTaskApi(server, { apiKey: KEY });
    const solver = make();
    await expect(solver.solve({ body, numeric: 9 })).rejects.toThrow(InvalidOptionError);
    await expect(solver.solve({ body, minLength: 6, maxLength: 3 })).rejects.toThrow(/minLength/);
    await expect(solver.solve({ body, phrase: 'yes' as unknown as boolean })).rejects.toThrow(InvalidOptionError);
    await expect(solver.solve({ body, images: [body] })).rejects.toThrow(/CapSolver-only/);
    await expect(solver.solve({ body, score: 0.3 })).rejects.toThrow(InvalidOptionError);
    await expect(solver.solve({ body: '' })).rejects.toThrow(InvalidImageError);
    expect(() => make({ task: { numeric: -1 } })).toThrow(InvalidOptionError);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses task.images with InvalidOptionError and a hint, before any request (the images are never dropped)', async () => {
    speakTaskApi(server, { apiKey: KEY, processingPolls: 0 });
    const solver = make();
    for (const images of [[body], [body, body, body], []]) {
      const err = await solver.solve({ body, module: 'number', images }).catch((e) => e);
      expect(err).toBeInstanceOf(InvalidOptionError);
      expect(err.code).toBe('ICS_ERR_INVALID_OPTION');
      expect(err.retryable).toBe(false);
      expect(err.message).toMatch(new RegExp(`^${label}\\.solve: task\\.images is CapSolver-only \\(${label} takes one image`));
      expect(err.hint).toMatch(/CapSolver or the offline LocalSolver.*one image in `body`/);
    }
    // also without a body
    await expect(solver.solve({ body: '', images: [body] })).rejects.toThrow(InvalidOptionError);
    expect(server.requests).toHaveLength(0);
    // the same solver still solves a single image
    await expect(solver.solve({ body })).resolves.toMatchObject({ text: 'w9h4n', provider: name });
    expect(server.requestsTo('/createTask')).toHaveLength(1);
  });

  it('getBalance posts { clientKey } and reads balance', async () => {
    speakTaskApi(server, { apiKey: KEY, balance: 4.5 });
    await expect(make().getBalance()).resolves.toEqual({ balance: 4.5 });
    expect(server.requestsTo('/getBalance')[0]!.json).toEqual({ clientKey: KEY });
  });

  it(`reportIncorrect posts ${report} with the integer taskId`, async () => {
    speakTaskApi(server, { apiKey: KEY, processingPolls: 0 });
    const solver = make();
    const solution = await solver.solve({ body });
    await solver.reportIncorrect(solution);
    expect(server.requestsTo(report)[0]!.json).toEqual({ clientKey: KEY, taskId: 1000 });
    await expect(solver.reportIncorrect({ ...solution, taskId: 'abc' })).rejects.toThrow(InvalidOptionError);
    await expect(solver.reportIncorrect({ ...solution, taskId: '424242' })).rejects.toMatchObject({ code: 'ERROR_NO_SUCH_CAPCHA_ID' });
  });

  it(`reads the key from ${env}, and without one fails at solve time`, async () => {
    speakTaskApi(server, { apiKey: KEY, processingPolls: 0 });
    vi.stubEnv(env, KEY);
    const solver = make({ apiKey: undefined });
    await expect(solver.solve({ body })).resolves.toMatchObject({ provider: name });
    vi.stubEnv(env, '');
    const none = make({ apiKey: undefined });
    const err = await none.solve({ body }).catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toContain(env);
    expect(err.message.startsWith(`${label}.solve: No API key`)).toBe(true);
  });

  it('answers a wrong key with AuthError ERROR_KEY_DOES_NOT_EXIST (HTTP 200 body)', async () => {
    speakTaskApi(server, { apiKey: KEY });
    const err = await make({ apiKey: 'wrongwrongwrongwrong' }).solve({ body }).catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err).toMatchObject({ code: 'ERROR_KEY_DOES_NOT_EXIST', status: 200, provider: name });
    expect(server.requests).toHaveLength(1);
  });

  it('keeps the key out of inspect and JSON', () => {
    const solver = make();
    expect(inspect(solver, { depth: 10, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(solver)).not.toContain(KEY);
    expect(inspect(solver)).toContain(label);
  });
});

describe('task API errors', () => {
  const solver = (o: TaskApiOptions = {}) => new AntiCaptcha({ apiKey: KEY, baseUrl: server.url, ...fast, ...o });

  it.each([
    ['ERROR_ZERO_BALANCE', BalanceError, false, 1],
    ['ERROR_IP_NOT_ALLOWED', AuthError, false, 1],
    ['ERROR_IP_BLOCKED', AuthError, false, 1],
    ['ERROR_ZERO_CAPTCHA_FILESIZE', InvalidImageError, false, 1],
    ['ERROR_TOO_BIG_CAPTCHA_FILESIZE', InvalidImageError, false, 1],
    ['ERROR_IMAGE_TYPE_NOT_SUPPORTED', InvalidImageError, false, 1],
    ['ERROR_TASK_ABSENT', ProviderError, false, 1],
    ['ERROR_TASK_NOT_SUPPORTED', ProviderError, false, 1],
    ['ERROR_NO_SLOT_AVAILABLE', ProviderUnavailableError, true, 3],
    ['ERROR_TOO_MUCH_REQUESTS', RateLimitError, true, 3],
  ] as const)('createTask %s → %o, retryable %s, %i request(s)', async (code, cls, retryable, requests) => {
    server.on('/createTask', { json: errorBody(code, `${code} text`, 7) });
    const err = await solver({ retries: 2 }).solve({ body }).catch((e) => e);
    expect(err).toBeInstanceOf(cls);
    expect(err).toMatchObject({ code, retryable, provider: 'anticaptcha', status: 200, description: `${code} text` });
    expect(err.message).toMatch(new RegExp(`^AntiCaptcha\\.solve: ${code} ${code} text \\(POST ${server.url}/createTask, HTTP 200\\)\\. `));
    expect(server.requestsTo('/createTask')).toHaveLength(requests);
  });

  it('ERROR_NO_SLOT_AVAILABLE then success: the task goes through', async () => {
    speakTaskApi(server, { apiKey: KEY, processingPolls: 0 });
    server.on('/createTask', { json: errorBody('ERROR_NO_SLOT_AVAILABLE', 'no slot', 2) }, { json: { errorId: 0, taskId: 55 } });
    server.on('/getTaskResult', { json: { errorId: 0, status: 'ready', solution: { text: 'slot' } } });
    await expect(solver().solve({ body })).resolves.toMatchObject({ text: 'slot', taskId: '55' });
    expect(server.requestsTo('/createTask')).toHaveLength(2);
  });

  it('ERROR_CAPTCHA_UNSOLVABLE while polling → UnsolvableError (retryable for the flow, not resent)', async () => {
    server.on('/createTask', { json: { errorId: 0, taskId: 77 } });
    server.on('/getTaskResult', { json: { errorId: 0, status: 'processing' } }, { json: errorBody('ERROR_CAPTCHA_UNSOLVABLE', 'Captcha could not be solved by 5 different workers', 12) });
    const err = await solver().solve({ body }).catch((e) => e);
    expect(err).toBeInstanceOf(UnsolvableError);
    expect(err.retryable).toBe(true);
    expect(server.requestsTo('/createTask')).toHaveLength(1);
    expect(server.requestsTo('/getTaskResult')).toHaveLength(2);
  });

  it('ERROR_NO_SUCH_CAPCHA_ID while polling → ProviderError, not retryable', async () => {
    server.on('/createTask', { json: { errorId: 0, taskId: 78 } });
    server.on('/getTaskResult', { json: errorBody('ERROR_NO_SUCH_CAPCHA_ID', 'expired', 16) });
    await expect(solver().solve({ body })).rejects.toMatchObject({ name: 'ProviderError', code: 'ERROR_NO_SUCH_CAPCHA_ID', retryable: false });
  });

  it('a task that stays processing is cut by the timeout', async () => {
    server.on('/createTask', { json: { errorId: 0, taskId: 79 } });
    server.on('/getTaskResult', { json: { errorId: 0, status: 'processing' } });
    const t0 = Date.now();
    const err = await solver({ timeout: 200, pollInterval: 20 }).solve({ body }).catch((e) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toMatch(/^AntiCaptcha\.solve: Timeout 200ms exceeded/);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(server.requestsTo('/getTaskResult').length).toBeGreaterThan(1);
  });

  it('createTask without a taskId, or a ready answer without text → ProviderUnavailableError', async () => {
    server.on('/createTask', { json: { errorId: 0 } });
    await expect(solver({ retries: 0 }).solve({ body })).rejects.toMatchObject({ code: 'ICS_ERR_BAD_RESPONSE' });
    server.reset();
    server.on('/createTask', { json: { errorId: 0, taskId: 1 } });
    server.on('/getTaskResult', { json: { errorId: 0, status: 'ready', solution: {} } });
    await expect(solver({ retries: 0 }).solve({ body })).rejects.toMatchObject({ code: 'ICS_ERR_BAD_RESPONSE' });
  });
});

describe('CapMonster Cloud options', () => {
  const make = (o: TaskApiOptions = {}) => new CapMonsterCloud({ apiKey: KEY, baseUrl: server.url, ...fast, ...o });

  it('sends recognizingThreshold and capMonsterModule, and maps score to a threshold', async () => {
    speakTaskApi(server, { apiKey: KEY, processingPolls: 0 });
    await make().solve({ body, recognizingThreshold: 70, capMonsterModule: 'universal', numeric: 1 });
    await make().solve({ body, score: 0.85 });
    const [a, b] = server.requestsTo('/createTask');
    expect(a!.json.task).toEqual({ type: 'ImageToTextTask', body, numeric: 1, recognizingThreshold: 70, capMonsterModule: 'universal' });
    expect(b!.json.task).toEqual({ type: 'ImageToTextTask', body, recognizingThreshold: 85 });
  });

  it('rejects CapMonster-only options elsewhere and out-of-range thresholds', async () => {
    await expect(make().solve({ body, recognizingThreshold: 101 })).rejects.toThrow(InvalidOptionError);
    await expect(make().solve({ body, numeric: 2 })).rejects.toThrow(/0 to 1/);
    const anti = new AntiCaptcha({ apiKey: KEY, baseUrl: server.url, ...fast });
    await expect(anti.solve({ body, recognizingThreshold: 50 })).rejects.toThrow(/CapMonster Cloud options/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('image limits on the wire', () => {
  it('2Captcha: a 900x700 noisy PNG is sent as a JPEG of at most 100 kB and 600px', async () => {
    speakTaskApi(server, { apiKey: KEY, processingPolls: 0 });
    const big = await noisyPng(900, 700);
    expect(big.length).toBeGreaterThan(100_000);
    await new TwoCaptcha({ apiKey: KEY, baseUrl: server.url, ...fast }).solve({ body: big.toString('base64') });
    const sent = Buffer.from(server.requestsTo('/createTask')[0]!.json.task.body, 'base64');
    expect(sniffImageFormat(sent)).toBe('jpeg');
    expect(sent.length).toBeLessThanOrEqual(100_000);
    const d = await dimensions(sent);
    expect(Math.max(d.width, d.height)).toBeLessThanOrEqual(600);
  });

  it('Anti-Captcha: a WebP is converted to PNG; with fitImages: false it is sent as is', async () => {
    speakTaskApi(server, { apiKey: KEY, processingPolls: 0 });
    const src = await webp(150, 50);
    await new AntiCaptcha({ apiKey: KEY, baseUrl: server.url, ...fast }).solve({ body: src.toString('base64') });
    await new AntiCaptcha({ apiKey: KEY, baseUrl: server.url, ...fast, fitImages: false }).solve({ body: src.toString('base64') });
    const [a, b] = server.requestsTo('/createTask');
    expect(sniffImageFormat(Buffer.from(a!.json.task.body, 'base64'))).toBe('png');
    expect(b!.json.task.body).toBe(src.toString('base64'));
  });

  it('an undecodable image fails with InvalidImageError before any request', async () => {
    speakTaskApi(server, { apiKey: KEY });
    const junk = Buffer.alloc(300, 7).toString('base64');
    await expect(new TwoCaptcha({ apiKey: KEY, baseUrl: server.url, ...fast }).solve({ body: junk })).rejects.toThrow(InvalidImageError);
    expect(server.requests).toHaveLength(0);
  });
});

// Type-level: every provider is a TaskApiSolver.
const _typecheck: TaskApiSolver[] = [];
void _typecheck;
