/**
 * The local CapSolver server over raw HTTP: every answer's status and exact key set, every error path, the
 * habits of CapSolver's official Go SDK (`ClientKey`, content type `json/application`, string taskId) and
 * Python SDK (`Authorization: Bearer`, reads `status` / `errorDescription`, maps HTTP statuses), the
 * Anti-Captcha / 2Captcha asynchronous dialect, upstream fallback, limits and graceful shutdown.
 * A fake solver (answers read from the PNG header) keeps these tests independent of the model; one `images` test
 * runs the real LocalSolver (skipped when models/captcha-ocr.onnx is absent).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { InvalidImageError, UnsolvableError } from '../../src/core/errors.js';
import { createCapSolverServer, type CapSolverServer } from '../../src/server/index.js';
import type { CapSolverServerOptions } from '../../src/server/index.js';
import { FakeSolver, expectedText, gate, png, pngBody, post, sortedKeys } from './server-helpers.js';

const servers: CapSolverServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(options: CapSolverServerOptions = {}): Promise<CapSolverServer> {
  const server = await createCapSolverServer({ port: 0, apiKey: false, solver: new FakeSolver(), ...options });
  servers.push(server);
  return server;
}

const ERROR_KEYS = ['errorCode', 'errorDescription', 'errorId'];

/** Waits (bounded) until the server's counters say so, instead of guessing a sleep. */
async function until(s: CapSolverServer, ok: (st: ReturnType<CapSolverServer['stats']>) => boolean): Promise<void> {
  for (let i = 0; i < 400 && !ok(s.stats()); i++) await new Promise((r) => setTimeout(r, 5));
  expect(ok(s.stats())).toBe(true);
}

function task(body: string, extra: Record<string, unknown> = {}) {
  return { clientKey: 'k', task: { type: 'ImageToTextTask', body, ...extra } };
}

/** CapSolver's multi-image form: `images` with module `number` (override it in `extra`). */
function images(list: string[], extra: Record<string, unknown> = {}) {
  return { clientKey: 'k', task: { type: 'ImageToTextTask', module: 'number', images: list, ...extra } };
}

describe('CapSolver dialect: success answers', () => {
  it('createTask answers synchronously with exactly CapSolver\'s keys, and getTaskResult returns the same answer', async () => {
    const s = await serve();
    const r = await post(`${s.url}/createTask`, task(pngBody(120, 40), { websiteURL: 'https://example.com/login', module: 'common' }));
    expect(r.status).toBe(200);
    expect(sortedKeys(r.json)).toEqual(['errorCode', 'errorDescription', 'errorId', 'solution', 'status', 'taskId']);
    expect(r.json).toMatchObject({ errorId: 0, errorCode: '', errorDescription: '', status: 'ready', solution: { text: expectedText(120, 40) } });
    expect(sortedKeys(r.json.solution as Record<string, unknown>)).toEqual(['text']);
    expect(typeof r.json.taskId).toBe('string');
    expect(r.headers['content-type']).toMatch(/application\/json/);

    const g = await post(`${s.url}/getTaskResult`, { clientKey: 'k', taskId: r.json.taskId });
    expect(g.status).toBe(200);
    expect(sortedKeys(g.json)).toEqual(['errorCode', 'errorDescription', 'errorId', 'solution', 'status', 'taskId']);
    expect(g.json).toMatchObject({ errorId: 0, status: 'ready', taskId: r.json.taskId, solution: { text: expectedText(120, 40) } });
  });

  it('passes the image and hints to the solver, but applies `score` itself', async () => {
    const solver = new FakeSolver();
    const s = await serve({ solver });
    const body = pngBody(90, 95);
    await post(`${s.url}/createTask`, task(body, { websiteURL: 'https://a.example/', module: 'queueit', score: 0.9, case: true }));
    expect(solver.tasks).toHaveLength(1);
    expect(solver.tasks[0]).toEqual({ body, module: 'queueit', websiteURL: 'https://a.example/', case: true });
    await post(`${s.url}/createTask`, task(body, { module: 'Number' }));
    expect(solver.tasks[1]).toEqual({ body, module: 'number' }); // CapSolver's digits module, lowercased
  });

  it('getBalance and feedbackTask answer with CapSolver\'s keys', async () => {
    const solver = new FakeSolver();
    const s = await serve({ solver, balance: 42.5 });
    const b = await post(`${s.url}/getBalance`, { clientKey: 'k' });
    expect(b.status).toBe(200);
    expect(sortedKeys(b.json)).toEqual(['balance', 'errorCode', 'errorDescription', 'errorId', 'packages']);
    expect(b.json).toMatchObject({ errorId: 0, balance: 42.5, packages: [] });

    const c = await post(`${s.url}/createTask`, task(pngBody(10, 99)));
    const f = await post(`${s.url}/feedbackTask`, { clientKey: 'k', taskId: c.json.taskId, result: { invalid: true, code: 1001, message: 'wrong' } });
    expect(f.status).toBe(200);
    expect(sortedKeys(f.json)).toEqual(['errorCode', 'errorDescription', 'errorId', 'message']);
    expect(f.json.errorId).toBe(0);
    expect(s.stats().feedback).toEqual({ invalid: 1, valid: 0 });
    await new Promise((r) => setTimeout(r, 10));
    expect(solver.reported.map((x) => x.text)).toEqual([expectedText(10, 99)]);

    const ok = await post(`${s.url}/feedbackTask`, { clientKey: 'k', taskId: c.json.taskId, result: { invalid: false } });
    expect(ok.json.errorId).toBe(0);
    expect(s.stats().feedback).toEqual({ invalid: 1, valid: 1 });
  });

  it('`case: false` lowercases the answer; `case: true` keeps it', async () => {
    const s = await serve();
    const lower = await post(`${s.url}/createTask`, task(pngBody(7, 99), { case: false }));
    expect((lower.json.solution as { text: string }).text).toBe(expectedText(7, 99).toLowerCase());
    const kept = await post(`${s.url}/createTask`, task(pngBody(7, 99), { case: true }));
    expect((kept.json.solution as { text: string }).text).toBe(expectedText(7, 99));
  });

  it('`score`: below it ERROR_CAPTCHA_UNSOLVABLE instead of a weak guess; at or above it, the answer', async () => {
    const s = await serve();
    const weak = await post(`${s.url}/createTask`, task(pngBody(30, 50), { score: 0.8 }));
    expect(weak.status).toBe(400);
    expect(sortedKeys(weak.json)).toEqual(ERROR_KEYS);
    expect(weak.json).toMatchObject({ errorId: 1, errorCode: 'ERROR_CAPTCHA_UNSOLVABLE' });
    expect(weak.json.errorDescription).toMatch(/0\.500.*0\.8/);
    const strong = await post(`${s.url}/createTask`, task(pngBody(30, 85), { score: 0.8 }));
    expect(strong.json).toMatchObject({ errorId: 0, status: 'ready' });
    const asString = await post(`${s.url}/createTask`, task(pngBody(30, 85), { score: '0.9' }));
    expect(asString.json.errorCode).toBe('ERROR_CAPTCHA_UNSOLVABLE');
  });
});

describe('CapSolver dialect: error answers', () => {
  const cases: [string, unknown, number, string, RegExp?][] = [
    ['body is not JSON', '{"clientKey": "k", task: nope', 400, 'ERROR_INVALID_TASK_DATA', /not valid JSON/],
    ['body is a JSON array', '[1,2]', 400, 'ERROR_INVALID_TASK_DATA', /JSON object/],
    ['body is empty', '', 400, 'ERROR_INVALID_TASK_DATA', /empty/],
    ['no task', { clientKey: 'k' }, 400, 'ERROR_INVALID_TASK_DATA', /"task" is missing/],
    ['task is a string', { clientKey: 'k', task: 'x' }, 400, 'ERROR_INVALID_TASK_DATA'],
    ['no task.type', { clientKey: 'k', task: { body: pngBody(1, 1) } }, 400, 'ERROR_INVALID_TASK_DATA', /type/],
    ['a token task', { clientKey: 'k', task: { type: 'ReCaptchaV2TaskProxyLess', websiteURL: 'https://x', websiteKey: 'y' } }, 400, 'ERROR_TASK_NOT_SUPPORTED'],
    ['no body', { clientKey: 'k', task: { type: 'ImageToTextTask' } }, 400, 'ERROR_INVALID_TASK_DATA', /body/],
    ['body is a number', { clientKey: 'k', task: { type: 'ImageToTextTask', body: 12 } }, 400, 'ERROR_INVALID_TASK_DATA'],
    ['body is not base64', task('this is not base64!'), 400, 'ERROR_INVALID_IMAGE', /base64/],
    ['body is base64 of text', task(Buffer.from('hello world, not an image').toString('base64')), 400, 'ERROR_INVALID_IMAGE', /not an image/],
    ['images without a module', { clientKey: 'k', task: { type: 'ImageToTextTask', images: [pngBody(1, 1)] } }, 400, 'ERROR_INVALID_TASK_DATA', /"images" is only for module "number" \(got no module\)/],
    ['images with module common', images([pngBody(1, 1)], { module: 'common' }), 400, 'ERROR_INVALID_TASK_DATA', /"images" is only for module "number" \(got module "common"\)/],
    ['images with body and module queueit', images([pngBody(1, 1)], { module: 'queueit', body: pngBody(2, 2) }), 400, 'ERROR_INVALID_TASK_DATA', /only for module "number"/],
    ['10 images', images(Array.from({ length: 10 }, (_, i) => pngBody(i + 1, 99))), 400, 'ERROR_INVALID_TASK_DATA', /holds 10 images, at most 9/],
    ['an empty images array', images([]), 400, 'ERROR_INVALID_TASK_DATA', /"images" is empty; send 1 to 9/],
    ['images not an array', images(pngBody(1, 1) as never), 400, 'ERROR_INVALID_TASK_DATA', /"images" must be an array/],
    ['a number at images[1]', images([pngBody(1, 1), 7 as never, pngBody(3, 3)]), 400, 'ERROR_INVALID_TASK_DATA', /"images\[1\]" must be a base64 string, got number/],
    ['a broken image at images[1]', images([pngBody(1, 1), Buffer.from('not an image at all').toString('base64'), pngBody(3, 3)]), 400, 'ERROR_INVALID_IMAGE', /"images\[1\]" is not an image/],
    ['images[2] not base64', images([pngBody(1, 1), pngBody(2, 2), 'not base64!']), 400, 'ERROR_INVALID_IMAGE', /"images\[2\]" is not base64/],
    ['an empty string at images[0]', images(['', pngBody(2, 2)]), 400, 'ERROR_INVALID_IMAGE', /"images\[0\]" is empty/],
    ['unknown module', task(pngBody(5, 99), { module: 'module_005' }), 400, 'ERROR_INVALID_TASK_DATA', /module/],
    ['score above 1', task(pngBody(5, 99), { score: 1.5 }), 400, 'ERROR_INVALID_TASK_DATA', /score/],
    ['score not a number', task(pngBody(5, 99), { score: 'high' }), 400, 'ERROR_INVALID_TASK_DATA', /score/],
    ['case not a boolean', task(pngBody(5, 99), { case: 'maybe' }), 400, 'ERROR_INVALID_TASK_DATA', /case/],
    ['websiteURL not a string', task(pngBody(5, 99), { websiteURL: 5 }), 400, 'ERROR_INVALID_TASK_DATA', /websiteURL/],
  ];
  for (const [name, body, status, code, description] of cases) {
    it(`createTask: ${name} → ${status} ${code}`, async () => {
      const s = await serve();
      const r = await post(`${s.url}/createTask`, body);
      expect(r.status).toBe(status);
      expect(sortedKeys(r.json)).toEqual(ERROR_KEYS);
      expect(r.json).toMatchObject({ errorId: 1, errorCode: code });
      expect(typeof r.json.errorDescription).toBe('string');
      if (description) expect(r.json.errorDescription).toMatch(description);
    });
  }

  it('getTaskResult / feedbackTask with an unknown or missing taskId → 400 ERROR_TASKID_INVALID', async () => {
    const s = await serve();
    for (const body of [{ clientKey: 'k', taskId: 'no-such-task' }, { clientKey: 'k' }, { clientKey: 'k', taskId: '12345' }]) {
      const r = await post(`${s.url}/getTaskResult`, body);
      expect(r.status).toBe(400);
      expect(sortedKeys(r.json)).toEqual(ERROR_KEYS);
      expect(r.json.errorCode).toBe('ERROR_TASKID_INVALID');
    }
    const f = await post(`${s.url}/feedbackTask`, { clientKey: 'k', taskId: 'nope', result: { invalid: true } });
    expect(f.json.errorCode).toBe('ERROR_TASKID_INVALID');
    // an integer id is the task API's (CapSolver's ids are strings): answered in that dialect
    const numeric = await post(`${s.url}/getTaskResult`, { clientKey: 'k', taskId: 12345 });
    expect([numeric.status, numeric.json.errorId, numeric.json.errorCode]).toEqual([200, 16, 'ERROR_NO_SUCH_CAPCHA_ID']);
  });

  it('feedbackTask without result.invalid → ERROR_INVALID_TASK_DATA', async () => {
    const s = await serve();
    const c = await post(`${s.url}/createTask`, task(pngBody(3, 99)));
    const f = await post(`${s.url}/feedbackTask`, { clientKey: 'k', taskId: c.json.taskId });
    expect(f.status).toBe(400);
    expect(f.json.errorCode).toBe('ERROR_INVALID_TASK_DATA');
  });

  it('the key: missing → 401 ERROR_KEY_DOES_NOT_EXIST, wrong → 401 ERROR_KEY_DENIED_ACCESS; never echoed', async () => {
    const key = 'server-secret-key-123456';
    const s = await serve({ apiKey: key });
    const missing = await post(`${s.url}/createTask`, { task: { type: 'ImageToTextTask', body: pngBody(1, 99) } });
    expect(missing.status).toBe(401);
    expect(missing.json).toMatchObject({ errorId: 1, errorCode: 'ERROR_KEY_DOES_NOT_EXIST' });
    const wrong = await post(`${s.url}/getBalance`, { clientKey: `${key}x` });
    expect(wrong.status).toBe(401);
    expect(sortedKeys(wrong.json)).toEqual(ERROR_KEYS);
    expect(wrong.json.errorCode).toBe('ERROR_KEY_DENIED_ACCESS');
    expect(wrong.text).not.toContain(key);
    const right = await post(`${s.url}/createTask`, { ...task(pngBody(1, 99)), clientKey: key });
    expect(right.json.errorId).toBe(0);
    expect(right.text).not.toContain(key);
    expect(JSON.stringify(s.stats())).not.toContain(key);
  });

  it('a body over maxBodyBytes → 413 in CapSolver\'s shape, before the body is parsed', async () => {
    const solver = new FakeSolver();
    const s = await serve({ solver, maxBodyBytes: 4096 });
    const big = task(Buffer.concat([png(1, 1), Buffer.alloc(8000)]).toString('base64'));
    const r = await post(`${s.url}/createTask`, big);
    expect(r.status).toBe(413);
    expect(sortedKeys(r.json)).toEqual(ERROR_KEYS);
    expect(r.json).toMatchObject({ errorId: 1, errorCode: 'ERROR_INVALID_IMAGE' });
    expect(r.json.errorDescription).toMatch(/4096/);
    expect(solver.calls).toBe(0);
    // the server still answers afterwards
    const ok = await post(`${s.url}/createTask`, task(pngBody(2, 99)));
    expect(ok.json.errorId).toBe(0);
  });

  it('unknown method → 404, GET on a method → 405, both in CapSolver\'s error shape; GET /health answers', async () => {
    const s = await serve();
    const unknown = await post(`${s.url}/solveEverything`, { clientKey: 'k' });
    expect(unknown.status).toBe(404);
    expect(sortedKeys(unknown.json)).toEqual(ERROR_KEYS);
    expect(unknown.json.errorCode).toBe('ERROR_BAD_REQUEST');
    const get = await post(`${s.url}/createTask`, undefined, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.json.errorCode).toBe('ERROR_BAD_REQUEST');
    const health = await post(`${s.url}/health`, undefined, { method: 'GET' });
    expect(health.status).toBe(200);
    expect(health.json.status).toBe('ok');
  });

  it('solver errors map to CapSolver codes: unsolvable, invalid image, anything else → ERROR_SERVICE_UNAVALIABLE', async () => {
    const solver = new FakeSolver({ fail: () => new UnsolvableError('cannot read it') });
    const s = await serve({ solver });
    const u = await post(`${s.url}/createTask`, task(pngBody(1, 99)));
    expect([u.status, u.json.errorCode]).toEqual([400, 'ERROR_CAPTCHA_UNSOLVABLE']);
    solver.options.fail = () => new InvalidImageError('truncated PNG');
    const i = await post(`${s.url}/createTask`, task(pngBody(1, 99)));
    expect([i.status, i.json.errorCode]).toEqual([400, 'ERROR_INVALID_IMAGE']);
    solver.options.fail = () => new Error('model exploded');
    const e = await post(`${s.url}/createTask`, task(pngBody(1, 99)));
    expect([e.status, e.json.errorCode]).toEqual([503, 'ERROR_SERVICE_UNAVALIABLE']);
    expect(sortedKeys(e.json)).toEqual(ERROR_KEYS);
    expect(s.stats().errors).toMatchObject({ ERROR_CAPTCHA_UNSOLVABLE: 1, ERROR_INVALID_IMAGE: 1, ERROR_SERVICE_UNAVALIABLE: 1 });
  });

  it('a solve slower than taskTimeout → ERROR_TASK_TIMEOUT', async () => {
    const s = await serve({ solver: new FakeSolver({ delay: 400 }), taskTimeout: 50 });
    const r = await post(`${s.url}/createTask`, task(pngBody(1, 99)));
    expect(r.status).toBe(400);
    expect(r.json.errorCode).toBe('ERROR_TASK_TIMEOUT');
  });
});

describe('CapSolver dialect: `images` (module number, up to 9 images)', () => {
  it('3 images → solution.answers, one per image in the order sent; getTaskResult returns the same answers', async () => {
    const solver = new FakeSolver();
    const s = await serve({ solver });
    const sent = [pngBody(31, 91), pngBody(12, 92), pngBody(23, 93)];
    // module matched case-insensitively; a data: URL is taken like in `body`
    const r = await post(`${s.url}/createTask`, images([sent[0]!, `data:image/png;base64,${sent[1]}`, sent[2]!], { module: 'NUMBER' }));
    expect(r.status).toBe(200);
    expect(sortedKeys(r.json)).toEqual(['errorCode', 'errorDescription', 'errorId', 'solution', 'status', 'taskId']);
    expect(r.json).toMatchObject({ errorId: 0, errorCode: '', errorDescription: '', status: 'ready' });
    expect(r.json.solution).toEqual({ answers: [expectedText(31, 91), expectedText(12, 92), expectedText(23, 93)] });
    // each image reached the solver as a single-body task of the number module, in order
    expect(solver.tasks).toEqual(sent.map((body) => ({ body, module: 'number' })));
    expect(s.stats().tasks).toMatchObject({ received: 1, solved: 1, failed: 0 });

    const g = await post(`${s.url}/getTaskResult`, { clientKey: 'k', taskId: r.json.taskId });
    expect(g.status).toBe(200);
    expect(sortedKeys(g.json)).toEqual(['errorCode', 'errorDescription', 'errorId', 'solution', 'status', 'taskId']);
    expect(g.json).toMatchObject({ errorId: 0, status: 'ready', taskId: r.json.taskId });
    expect(g.json.solution).toEqual(r.json.solution);
  });

  it('a single image and the full 9 are taken; `case` applies to every answer', async () => {
    const s = await serve();
    const one = await post(`${s.url}/createTask`, images([pngBody(5, 99)]));
    expect(one.json.solution).toEqual({ answers: [expectedText(5, 99)] });
    const nine = await post(`${s.url}/createTask`, images(Array.from({ length: 9 }, (_, i) => pngBody(i + 1, 99)), { case: false }));
    expect(nine.json.solution).toEqual({ answers: Array.from({ length: 9 }, (_, i) => expectedText(i + 1, 99).toLowerCase()) });
  });

  it('`images` and `body` together: `images` wins, `body` is ignored (not even checked)', async () => {
    const solver = new FakeSolver();
    const s = await serve({ solver });
    const r = await post(`${s.url}/createTask`, images([pngBody(7, 97), pngBody(8, 98)], { body: 'this body is not an image!' }));
    expect(r.status).toBe(200);
    expect(r.json.solution).toEqual({ answers: [expectedText(7, 97), expectedText(8, 98)] });
    expect(solver.calls).toBe(2);
  });

  it('`score` per image: the first image below it fails the task, naming its index; the rest are not solved', async () => {
    const solver = new FakeSolver();
    const s = await serve({ solver });
    const r = await post(`${s.url}/createTask`, images([pngBody(1, 95), pngBody(2, 50), pngBody(3, 95)], { score: 0.8 }));
    expect(r.status).toBe(400);
    expect(sortedKeys(r.json)).toEqual(ERROR_KEYS);
    expect(r.json).toMatchObject({ errorId: 1, errorCode: 'ERROR_CAPTCHA_UNSOLVABLE' });
    expect(r.json.errorDescription).toMatch(/0\.500 is below score 0\.8 \(images\[1\]\)/);
    expect(solver.calls).toBe(2);
    expect(s.stats().tasks).toMatchObject({ received: 1, solved: 0, failed: 1 });
    const ok = await post(`${s.url}/createTask`, images([pngBody(1, 95), pngBody(3, 95)], { score: 0.8 }));
    expect(ok.json.solution).toEqual({ answers: [expectedText(1, 95), expectedText(3, 95)] });
  });

  it('a failing solver: the error names the image', async () => {
    const solver = new FakeSolver({ fail: () => new InvalidImageError('truncated PNG') });
    const s = await serve({ solver });
    const r = await post(`${s.url}/createTask`, images([pngBody(1, 99), pngBody(2, 99)]));
    expect([r.status, r.json.errorCode]).toEqual([400, 'ERROR_INVALID_IMAGE']);
    expect(r.json.errorDescription).toMatch(/truncated PNG.*\(images\[0\]\)/);
  });

  it('each image takes a slot of its own, one at a time: limits hold and another client is served between images', async () => {
    const solver = new FakeSolver({ delay: 40 });
    const s = await serve({ solver, maxRunning: 1, concurrency: 1, queueSize: 1 });
    const done: string[] = [];
    const many = post(`${s.url}/createTask`, { ...images(Array.from({ length: 6 }, (_, i) => pngBody(i + 1, 99))), clientKey: 'client-a' }).then((r) => {
      done.push('images');
      return r;
    });
    await until(s, (st) => st.running === 1);
    // client b waits in the queue for the next free slot, between two of client a's images, not after all six
    const single = await post(`${s.url}/createTask`, { ...task(pngBody(50, 99)), clientKey: 'client-b' });
    done.push('single');
    expect(single.json).toMatchObject({ status: 'ready', solution: { text: expectedText(50, 99) } });
    const r = await many;
    expect(r.json.solution).toEqual({ answers: Array.from({ length: 6 }, (_, i) => expectedText(i + 1, 99)) });
    expect(done).toEqual(['single', 'images']);
    expect(solver.maxRunning).toBe(1);
    expect(solver.calls).toBe(7);
  });

  it('the images share maxBodyBytes: each fits alone, together they are answered 413', async () => {
    const solver = new FakeSolver();
    const s = await serve({ solver, maxBodyBytes: 4096 });
    const image = Buffer.concat([png(9, 99), Buffer.alloc(1500)]).toString('base64'); // ~2 KB of base64
    const alone = await post(`${s.url}/createTask`, images([image]));
    expect(alone.json.solution).toEqual({ answers: [expectedText(9, 99)] });
    const together = await post(`${s.url}/createTask`, images([image, image, image]));
    expect(together.status).toBe(413);
    expect(together.json).toMatchObject({ errorId: 1, errorCode: 'ERROR_INVALID_IMAGE' });
    expect(solver.calls).toBe(1);
  });

  it('feedbackTask with invalid: true reports every image\'s solution to its solver', async () => {
    const solver = new FakeSolver();
    const s = await serve({ solver });
    const c = await post(`${s.url}/createTask`, images([pngBody(1, 99), pngBody(2, 99), pngBody(3, 99)]));
    const f = await post(`${s.url}/feedbackTask`, { clientKey: 'k', taskId: c.json.taskId, result: { invalid: true } });
    expect(f.json.errorId).toBe(0);
    await new Promise((r) => setTimeout(r, 10));
    expect(solver.reported.map((x) => x.text)).toEqual([expectedText(1, 99), expectedText(2, 99), expectedText(3, 99)]);
  });

  it('the task-API dialect refuses `images` (Anti-Captcha, 2Captcha and CapMonster take one image in `body`)', async () => {
    const solver = new FakeSolver();
    const s = await serve({ solver });
    for (const prefix of ['anticaptcha', '2captcha', 'capmonster']) {
      const r = await post(`${s.url}/${prefix}/createTask`, images([pngBody(1, 99), pngBody(2, 99)]));
      expect([r.status, r.json.errorId, r.json.errorCode]).toEqual([200, 22, 'ERROR_TASK_ABSENT']);
      expect(sortedKeys(r.json)).toEqual(ERROR_KEYS);
      expect(r.json.errorDescription).toMatch(/"images" is CapSolver's/);
    }
    // a root request that looks like Anti-Captcha (softId) is answered in that dialect: refused too
    const root = await post(`${s.url}/createTask`, { ...images([pngBody(1, 99)], { body: pngBody(2, 99) }), softId: 0 });
    expect([root.status, root.json.errorId, root.json.errorCode]).toEqual([200, 22, 'ERROR_TASK_ABSENT']);
    expect(solver.calls).toBe(0);
  });
});

const MODEL = join(resolve(__dirname, '../..'), 'models/captcha-ocr.onnx');
const hasModel = existsSync(MODEL) && existsSync(MODEL.replace(/\.onnx$/, '.json'));

/** Black text on white, one line (the clean rendering the offline tests read exactly). */
async function textPng(text: string): Promise<string> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50"><rect width="100%" height="100%" fill="#fff"/><text x="12" y="38" font-family="DejaVu Sans, sans-serif" font-size="32" fill="#000">${text}</text></svg>`;
  return (await sharp(Buffer.from(svg)).png().toBuffer()).toString('base64');
}

describe.skipIf(!hasModel)('`images` with the real LocalSolver (digits only, as for a single body of module number)', () => {
  it('rendered digits read back in order; letters shaped like digits come out as digits', async () => {
    const { LocalSolver } = await import('../../src/solvers/offline/index.js');
    const sent = await Promise.all(['40718', 'SOlZB', '2935'].map(textPng));
    const local = new LocalSolver({ model: MODEL });
    const single: string[] = [];
    for (const body of sent) single.push((await local.solve({ body, module: 'number' })).text);
    await local.close();
    const s = await createCapSolverServer({ port: 0, apiKey: false, workers: 0, model: MODEL });
    servers.push(s);
    const r = await post(`${s.url}/createTask`, images(sent));
    expect(r.json).toMatchObject({ errorId: 0, status: 'ready' });
    const answers = (r.json.solution as { answers: string[] }).answers;
    // the same answers as one `body` task each, digits only
    expect(answers).toEqual(single);
    for (const a of answers) expect(a).toMatch(/^[0-9]+$/);
    expect([answers[0], answers[2]]).toEqual(['40718', '2935']);
  });
});

describe("CapSolver's official SDK habits", () => {
  it('Go SDK: `ClientKey`, content type `json/application`, taskId sent back as a string', async () => {
    const key = 'go-sdk-key-abcdef';
    const s = await serve({ apiKey: key });
    // capsolver-go request.go: http.Post(url, "json/application", body) with {"ClientKey": …, "task": …}
    const c = await post(`${s.url}/createTask`, { ClientKey: key, task: { type: 'ImageToTextTask', module: 'queueit', body: pngBody(64, 99) } }, { contentType: 'json/application' });
    expect(c.status).toBe(200);
    expect(c.json).toMatchObject({ errorId: 0, status: 'ready', solution: { text: expectedText(64, 99) } });
    const g = await post(`${s.url}/getTaskResult`, { ClientKey: key, taskId: String(c.json.taskId) }, { contentType: 'json/application' });
    expect(g.json).toMatchObject({ errorId: 0, status: 'ready', solution: { text: expectedText(64, 99) } });
    const b = await post(`${s.url}/getBalance`, { ClientKey: key }, { contentType: 'json/application' });
    expect(b.json).toMatchObject({ errorId: 0, balance: expect.any(Number) });
    // no content type at all, or text/plain, is taken too
    const plain = await post(`${s.url}/getBalance`, { ClientKey: key }, { contentType: 'text/plain' });
    expect(plain.json.errorId).toBe(0);
  });

  it('Python SDK: key in the body and `Authorization: Bearer`; `status` on task answers, `errorDescription` on every answer; HTTP statuses it maps', async () => {
    const key = 'py-sdk-key-abcdef';
    const s = await serve({ apiKey: key, queueSize: 0, maxRunning: 1, solver: new FakeSolver({ delay: 150 }) });
    const headers = { authorization: `Bearer ${key}` };
    // api_requestor.py: json={"clientKey": key, **params}; capsolver.py reads r['status'] and r['solution']
    const c = await post(`${s.url}/createTask`, { clientKey: key, task: { type: 'ImageToTextTask', body: pngBody(5, 99) } }, { headers });
    expect(c.json.status).toBe('ready');
    expect(c.json).toHaveProperty('errorDescription');
    const g = await post(`${s.url}/getTaskResult`, { clientKey: key, taskId: c.json.taskId }, { headers });
    expect(g.json.status).toBe('ready');
    expect(g.json).toHaveProperty('errorDescription');
    // only the Bearer header: accepted
    const bearerOnly = await post(`${s.url}/getBalance`, {}, { headers });
    expect(bearerOnly.json.errorId).toBe(0);
    // error answers carry errorDescription, with the statuses the SDK maps: 400 InvalidRequestError, 401 AuthenticationError, 429 RateLimitError
    const bad = await post(`${s.url}/createTask`, { clientKey: key, task: { type: 'ImageToTextTask' } }, { headers });
    expect([bad.status, typeof bad.json.errorDescription]).toEqual([400, 'string']);
    const denied = await post(`${s.url}/createTask`, { clientKey: 'nope-nope', task: { type: 'ImageToTextTask', body: pngBody(5, 99) } });
    expect([denied.status, typeof denied.json.errorDescription]).toEqual([401, 'string']);
    const first = post(`${s.url}/createTask`, { clientKey: key, task: { type: 'ImageToTextTask', body: pngBody(6, 99) } });
    await until(s, (st) => st.running === 1);
    const busy = await post(`${s.url}/createTask`, { clientKey: key, task: { type: 'ImageToTextTask', body: pngBody(7, 99) } });
    expect([busy.status, busy.json.errorCode, typeof busy.json.errorDescription]).toEqual([429, 'ERROR_SERVICE_UNAVALIABLE', 'string']);
    expect(busy.headers['retry-after']).toBe('1');
    expect((await first).json.status).toBe('ready');
  });
});

describe('Anti-Captcha / 2Captcha dialect (asynchronous, integer ids)', () => {
  it('under /anticaptcha: createTask → integer taskId at once; getTaskResult → processing, then ready with Anti-Captcha\'s keys', async () => {
    const held = gate();
    const s = await serve({ solver: new FakeSolver({ gate: held.promise }) });
    const c = await post(`${s.url}/anticaptcha/createTask`, { clientKey: 'k', task: { type: 'ImageToTextTask', body: pngBody(44, 99), phrase: false, numeric: 0 }, softId: 0 });
    expect(c.status).toBe(200);
    expect(sortedKeys(c.json)).toEqual(['errorId', 'taskId']);
    expect(Number.isInteger(c.json.taskId)).toBe(true);
    const p = await post(`${s.url}/anticaptcha/getTaskResult`, { clientKey: 'k', taskId: c.json.taskId });
    expect(p.json).toEqual({ errorId: 0, status: 'processing' });
    held.open();
    let ready = p;
    for (let i = 0; i < 50 && ready.json.status !== 'ready'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      ready = await post(`${s.url}/anticaptcha/getTaskResult`, { clientKey: 'k', taskId: c.json.taskId });
    }
    expect(ready.status).toBe(200);
    expect(sortedKeys(ready.json)).toEqual(['cost', 'createTime', 'endTime', 'errorId', 'ip', 'solution', 'solveCount', 'status']);
    expect(ready.json).toMatchObject({ errorId: 0, status: 'ready', solution: { text: expectedText(44, 99) } });
  });

  it('minLength / maxLength reach the solver (0 = any is dropped; a maxLength beyond 64 is "any" to it); bad ones are invalid task data', async () => {
    const solver = new FakeSolver();
    const s = await serve({ solver });
    const create = (extra: Record<string, unknown>) => post(`${s.url}/anticaptcha/createTask`, { clientKey: 'k', softId: 0, task: { type: 'ImageToTextTask', body: pngBody(9, 99), ...extra } });
    expect((await create({ minLength: 5, maxLength: '5' })).json.errorId).toBe(0);
    expect((await create({ minLength: 0, maxLength: 100 })).json.errorId).toBe(0);
    expect(solver.tasks.map((t) => [t.minLength, t.maxLength])).toEqual([[5, 5], [undefined, undefined]]);
    for (const [extra, re] of [
      [{ minLength: 6, maxLength: 5 }, /"minLength" 6 is above "maxLength" 5/],
      [{ maxLength: 'five' }, /"maxLength" must be an integer/],
      [{ minLength: 2.5 }, /"minLength" must be an integer/],
      [{ minLength: 65 }, /longer than any captcha/],
    ] as const) {
      const r = await create(extra);
      expect(r.json).toMatchObject({ errorId: 22, errorCode: 'ERROR_TASK_ABSENT' }); // Anti-Captcha's code for invalid task data
      expect(r.json.errorDescription).toMatch(re);
    }
    expect(solver.calls).toBe(2);
  });

  it('math (Anti-Captcha / 2Captcha: the answer is a calculation) reaches the solver; a value that is not a boolean is invalid task data', async () => {
    const solver = new FakeSolver();
    const s = await serve({ solver });
    const create = (extra: Record<string, unknown>) => post(`${s.url}/anticaptcha/createTask`, { clientKey: 'k', softId: 0, task: { type: 'ImageToTextTask', body: pngBody(9, 99), ...extra } });
    for (const math of [true, 'true', 1, false, 0]) expect((await create({ math })).json.errorId).toBe(0);
    expect(solver.tasks.map((t) => t.math)).toEqual([true, true, true, undefined, undefined]);
    const r = await create({ math: 'yes' });
    expect(r.json).toMatchObject({ errorId: 22, errorCode: 'ERROR_TASK_ABSENT' });
    expect(r.json.errorDescription).toMatch(/"math" must be true or false/);
    expect(solver.calls).toBe(5);
  });

  it('a root request that looks like Anti-Captcha (softId) gets the asynchronous dialect; numeric taskId is looked up there too', async () => {
    const s = await serve();
    const c = await post(`${s.url}/createTask`, { clientKey: 'k', softId: 0, task: { type: 'ImageToTextTask', body: pngBody(8, 99) } });
    expect(Number.isInteger(c.json.taskId)).toBe(true);
    await until(s, (st) => st.tasks.solved === 1);
    const g = await post(`${s.url}/getTaskResult`, { clientKey: 'k', taskId: c.json.taskId });
    expect(g.json).toMatchObject({ errorId: 0, status: 'ready', solution: { text: expectedText(8, 99) } });
  });

  it('errors use those providers\' errorIds and codes, in HTTP 200; a failed solve is reported by getTaskResult', async () => {
    const solver = new FakeSolver({ fail: () => new UnsolvableError('nope') });
    const s = await serve({ solver, apiKey: 'taskapi-key-123' });
    const key = await post(`${s.url}/2captcha/createTask`, { clientKey: 'wrong-key-0000', task: { type: 'ImageToTextTask', body: pngBody(1, 99) } });
    expect([key.status, key.json.errorId, key.json.errorCode]).toEqual([200, 1, 'ERROR_KEY_DOES_NOT_EXIST']);
    expect(sortedKeys(key.json)).toEqual(ERROR_KEYS);
    const notSupported = await post(`${s.url}/2captcha/createTask`, { clientKey: 'taskapi-key-123', task: { type: 'HCaptchaTask' } });
    expect([notSupported.status, notSupported.json.errorId, notSupported.json.errorCode]).toEqual([200, 23, 'ERROR_TASK_NOT_SUPPORTED']);
    const noTask = await post(`${s.url}/2captcha/createTask`, { clientKey: 'taskapi-key-123' });
    expect([noTask.json.errorId, noTask.json.errorCode]).toEqual([22, 'ERROR_TASK_ABSENT']);
    const unknownId = await post(`${s.url}/2captcha/getTaskResult`, { clientKey: 'taskapi-key-123', taskId: 99 });
    expect([unknownId.status, unknownId.json.errorId, unknownId.json.errorCode]).toEqual([200, 16, 'ERROR_NO_SUCH_CAPCHA_ID']);
    const c = await post(`${s.url}/2captcha/createTask`, { clientKey: 'taskapi-key-123', task: { type: 'ImageToTextTask', body: pngBody(1, 99) } });
    await until(s, (st) => st.tasks.failed === 1);
    const g = await post(`${s.url}/2captcha/getTaskResult`, { clientKey: 'taskapi-key-123', taskId: c.json.taskId });
    expect([g.status, g.json.errorId, g.json.errorCode]).toEqual([200, 12, 'ERROR_CAPTCHA_UNSOLVABLE']);
  });

  it('getBalance and reportIncorrectImageCaptcha / reportCorrect answer in that dialect', async () => {
    const solver = new FakeSolver();
    const s = await serve({ solver, balance: 7 });
    expect((await post(`${s.url}/capmonster/getBalance`, { clientKey: 'k' })).json).toEqual({ errorId: 0, balance: 7 });
    const c = await post(`${s.url}/anticaptcha/createTask`, { clientKey: 'k', task: { type: 'ImageToTextTask', body: pngBody(9, 99) } });
    await until(s, (st) => st.tasks.solved === 1);
    const bad = await post(`${s.url}/anticaptcha/reportIncorrectImageCaptcha`, { clientKey: 'k', taskId: c.json.taskId });
    expect(bad.json).toEqual({ errorId: 0, status: 'success' });
    const good = await post(`${s.url}/2captcha/reportCorrect`, { clientKey: 'k', taskId: c.json.taskId });
    expect(good.json).toEqual({ errorId: 0, status: 'success' });
    expect(s.stats().feedback).toEqual({ invalid: 1, valid: 1 });
  });
});

describe('upstream', () => {
  it('a local answer below upstreamThreshold goes upstream; a confident one stays local; upstream failure falls back to local', async () => {
    const upstream = new FakeSolver();
    // the upstream reads the same header but answers in upper case, so the source of an answer is visible
    const solve = upstream.solve.bind(upstream);
    upstream.solve = async (t, o) => ({ ...(await solve(t, o)), text: 'UPSTREAM' });
    const s = await serve({ upstream, upstreamThreshold: 0.9 });
    const unsure = await post(`${s.url}/createTask`, task(pngBody(3, 60), { score: 0.8 }));
    expect((unsure.json.solution as { text: string }).text).toBe('UPSTREAM');
    expect(upstream.tasks[0]?.score).toBe(0.8);
    const sure = await post(`${s.url}/createTask`, task(pngBody(3, 95)));
    expect((sure.json.solution as { text: string }).text).toBe(expectedText(3, 95));
    upstream.options.fail = () => new Error('cloud down');
    const fallback = await post(`${s.url}/createTask`, task(pngBody(4, 70)));
    expect((fallback.json.solution as { text: string }).text).toBe(expectedText(4, 70));
    const tooWeak = await post(`${s.url}/createTask`, task(pngBody(4, 70), { score: 0.85 }));
    expect(tooWeak.json.errorCode).toBe('ERROR_CAPTCHA_UNSOLVABLE');
    expect(s.stats().upstream).toEqual({ tried: 3, used: 1, failed: 2 });
  });
});

describe('limits and shutdown', () => {
  it('at most `concurrency` solves per client and `maxRunning` in all; the rest wait and are answered', async () => {
    const solver = new FakeSolver({ delay: 60 });
    const s = await serve({ solver, concurrency: 2, maxRunning: 3, queueSize: 50 });
    const agent = new Agent({ connections: 20 });
    const one = await Promise.all(Array.from({ length: 6 }, (_, i) => post(`${s.url}/createTask`, task(pngBody(i + 1, 99)), { dispatcher: agent })));
    expect(one.every((r) => r.json.status === 'ready')).toBe(true);
    expect(solver.maxRunning).toBe(2);
    solver.maxRunning = 0;
    // three clients (different keys): the global limit binds
    const many = await Promise.all(
      Array.from({ length: 9 }, (_, i) => post(`${s.url}/createTask`, { ...task(pngBody(i + 1, 99)), clientKey: `client-${i % 3}` }, { dispatcher: agent })),
    );
    expect(many.map((r) => (r.json.solution as { text: string }).text)).toEqual(Array.from({ length: 9 }, (_, i) => expectedText(i + 1, 99)));
    expect(solver.maxRunning).toBe(3);
    expect(s.stats().peakQueued).toBeGreaterThan(0);
    await agent.close();
  });

  it('one client over its share of the queue gets 429 ERROR_RATE_LIMIT; another client still gets in', async () => {
    const solver = new FakeSolver({ delay: 150 });
    const s = await serve({ solver, maxRunning: 1, concurrency: 1, queueSize: 10, clientQueueSize: 1 });
    const a1 = post(`${s.url}/createTask`, { ...task(pngBody(1, 99)), clientKey: 'client-a' });
    await until(s, (st) => st.running === 1);
    const a2 = post(`${s.url}/createTask`, { ...task(pngBody(2, 99)), clientKey: 'client-a' });
    await until(s, (st) => st.queued === 1);
    const a3 = await post(`${s.url}/createTask`, { ...task(pngBody(3, 99)), clientKey: 'client-a' });
    expect([a3.status, a3.json.errorId, a3.json.errorCode]).toEqual([429, 1, 'ERROR_RATE_LIMIT']);
    expect(sortedKeys(a3.json)).toEqual(ERROR_KEYS);
    expect(a3.headers['retry-after']).toBe('1');
    const b1 = await post(`${s.url}/createTask`, { ...task(pngBody(4, 99)), clientKey: 'client-b' });
    expect(b1.json.status).toBe('ready');
    expect((await a1).json.status).toBe('ready');
    expect((await a2).json.status).toBe('ready');
    expect(s.stats().tasks).toMatchObject({ solved: 3, busy: 1, failed: 0 });
  });

  it('close() lets in-flight tasks finish, refuses new connections, and does not close a solver it was given', async () => {
    const solver = new FakeSolver({ delay: 300 });
    let closedSolver = false;
    solver.close = async () => {
      closedSolver = true;
    };
    const s = await createCapSolverServer({ port: 0, apiKey: false, solver });
    const inFlight = post(`${s.url}/createTask`, task(pngBody(11, 99)));
    await until(s, (st) => st.running === 1);
    const closing = s.close();
    const answer = await inFlight;
    expect(answer.json).toMatchObject({ status: 'ready', solution: { text: expectedText(11, 99) } });
    await closing;
    await expect(post(`${s.url}/getBalance`, { clientKey: 'k' }, { timeout: 2000 })).rejects.toThrow();
    expect(closedSolver).toBe(false);
  });

  it('results expire after resultTtl', async () => {
    const s = await serve({ resultTtl: 50 });
    const c = await post(`${s.url}/createTask`, task(pngBody(1, 99)));
    expect((await post(`${s.url}/getTaskResult`, { clientKey: 'k', taskId: c.json.taskId })).json.errorId).toBe(0);
    await new Promise((r) => setTimeout(r, 80));
    expect((await post(`${s.url}/getTaskResult`, { clientKey: 'k', taskId: c.json.taskId })).json.errorCode).toBe('ERROR_TASKID_INVALID');
  });

  it('refuses bad options with InvalidOptionError', async () => {
    await expect(createCapSolverServer({ port: 0, apiKey: false, solver: new FakeSolver(), queueSize: -1 })).rejects.toMatchObject({ code: 'ICS_ERR_INVALID_OPTION' });
    await expect(createCapSolverServer({ port: 0, apiKey: false, solver: {} as never })).rejects.toMatchObject({ code: 'ICS_ERR_INVALID_OPTION' });
    await expect(createCapSolverServer({ port: 0, apiKey: false, solver: new FakeSolver(), upstreamThreshold: 2 })).rejects.toMatchObject({ code: 'ICS_ERR_INVALID_OPTION' });
  });

  it('a taken port is reported with ICS_ERR_SERVER_LISTEN', async () => {
    const s = await serve();
    await expect(createCapSolverServer({ port: s.port, solver: new FakeSolver() })).rejects.toMatchObject({ code: 'ICS_ERR_SERVER_LISTEN' });
  });
});
