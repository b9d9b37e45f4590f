/**
 * End to end with our own clients: `CapSolver` (baseUrl = the server) and the task-API clients
 * (Anti-Captcha, 2Captcha, CapMonster Cloud) under their path prefixes; the real LocalSolver behind the
 * server (skipped, with a message, when models/captcha-ocr.onnx is absent); and `serveCommand`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { AntiCaptcha, CapMonsterCloud, CapSolver, TwoCaptcha } from '../../src/solvers/index.js';
import { createCapSolverServer, serveCommand, type CapSolverServer } from '../../src/server/index.js';
import { FakeSolver, expectedText, post, pngBody } from './server-helpers.js';

const root = resolve(__dirname, '../..');
// SERVER_TEST_MODEL points these tests at another model (its .json sidecar beside it)
const MODEL = process.env.SERVER_TEST_MODEL ? resolve(process.env.SERVER_TEST_MODEL) : join(root, 'models/captcha-ocr.onnx');
const hasModel = existsSync(MODEL) && existsSync(MODEL.replace(/\.onnx$/, '.json'));

const servers: CapSolverServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('our clients against the server', () => {
  it('CapSolver: solve, getBalance and reportIncorrect end to end, with the key checked', async () => {
    const solver = new FakeSolver();
    const key = 'e2e-capsolver-key-1';
    const s = await createCapSolverServer({ port: 0, solver, apiKey: key, balance: 12 });
    servers.push(s);
    const client = new CapSolver({ apiKey: key, baseUrl: s.url, retries: 0 });
    const solution = await client.solve({ body: pngBody(150, 99), websiteURL: 'https://shop.example/login', module: 'common', case: false });
    expect(solution.text).toBe(expectedText(150, 99).toLowerCase());
    expect(solution.provider).toBe('capsolver');
    expect(typeof solution.taskId).toBe('string');
    expect(await client.getBalance()).toEqual({ balance: 12, packages: [] });
    await client.reportIncorrect(solution);
    expect(s.stats().feedback.invalid).toBe(1);
    // a wrong key surfaces as our AuthError, with the provider's code
    const wrong = new CapSolver({ apiKey: 'not-the-key-000', baseUrl: s.url, retries: 0 });
    await expect(wrong.solve({ body: pngBody(1, 99) })).rejects.toMatchObject({ name: 'AuthError', code: 'ERROR_KEY_DENIED_ACCESS', status: 401 });
    // score below the confidence: UnsolvableError
    await expect(client.solve({ body: pngBody(2, 40), score: 0.8 })).rejects.toMatchObject({ name: 'UnsolvableError', code: 'ERROR_CAPTCHA_UNSOLVABLE' });
  });

  it('CapSolver: an images task (module number) comes back as answers, one per image in order, and text joins them', async () => {
    const solver = new FakeSolver();
    const key = 'e2e-capsolver-key-2';
    const s = await createCapSolverServer({ port: 0, solver, apiKey: key });
    servers.push(s);
    const client = new CapSolver({ apiKey: key, baseUrl: s.url, retries: 0 });
    const sizes: [number, number][] = [[31, 99], [7, 98], [150, 97], [2, 96]];
    const images = sizes.map(([w, h]) => pngBody(w, h));
    const solution = await client.solve({ body: '', module: 'number', images: [images[0]!, `data:image/png;base64,${images[1]}`, ...images.slice(2)] });
    const expected = sizes.map(([w, h]) => expectedText(w, h));
    expect(solution.answers).toEqual(expected);
    expect(solution.text).toBe(expected.join(''));
    expect(solution.provider).toBe('capsolver');
    expect(typeof solution.taskId).toBe('string');
    expect(solution.raw).toMatchObject({ status: 'ready', solution: { answers: expected } });
    // the server solved each image as a single body, in order
    expect(solver.tasks.map((t) => t.body)).toEqual(images);
    expect(solver.tasks.every((t) => t.images === undefined && t.module === 'number')).toBe(true);

    // body and images together: images win; case: false lowercases every answer
    const lower = await client.solve({ body: pngBody(1, 1), module: 'number', images: [pngBody(5, 99), pngBody(6, 99)], case: false });
    expect(lower.answers).toEqual([expectedText(5, 99).toLowerCase(), expectedText(6, 99).toLowerCase()]);
    expect(lower.text).toBe(lower.answers!.join(''));

    // the feedback on an images task reaches the solver of each image
    await client.reportIncorrect(solution);
    expect(s.stats().feedback.invalid).toBe(1);
    expect(solver.reported.map((r) => r.text)).toEqual(expected);

    // an image the server cannot use fails the task, its error naming images[i]
    const bad = await client.solve({ body: '', module: 'number', images: [images[0]!, Buffer.from('not an image at all').toString('base64')] }).catch((e) => e);
    expect(bad).toMatchObject({ name: 'InvalidImageError', code: 'ERROR_INVALID_IMAGE' });
    expect(bad.message).toMatch(/images\[1\]/);
    expect(bad.message).not.toContain(key);
    // without module number the server refuses images (CapSolver: number module only)
    await expect(client.solve({ body: '', images: [images[0]!] })).rejects.toMatchObject({ code: 'ERROR_INVALID_TASK_DATA' });
  });

  it('Anti-Captcha, 2Captcha and CapMonster Cloud clients solve through /anticaptcha, /2captcha and /capmonster', async () => {
    const s = await createCapSolverServer({ port: 0, apiKey: false, solver: new FakeSolver({ delay: 30 }) });
    servers.push(s);
    const common = { apiKey: 'taskapi-key-1', retries: 0, pollInitialDelay: 10, pollInterval: 20, fitImages: false };
    const clients = [
      new AntiCaptcha({ ...common, baseUrl: `${s.url}/anticaptcha` }),
      new TwoCaptcha({ ...common, baseUrl: `${s.url}/2captcha` }),
      new CapMonsterCloud({ ...common, baseUrl: `${s.url}/capmonster` }),
    ];
    for (const [i, client] of clients.entries()) {
      const solution = await client.solve({ body: pngBody(20 + i, 99) });
      expect(solution.text).toBe(expectedText(20 + i, 99));
      expect(Number.isInteger(Number(solution.taskId))).toBe(true);
      await client.reportIncorrect(solution);
      expect((await client.getBalance()).balance).toBeGreaterThan(0);
    }
    expect(s.stats().feedback.invalid).toBe(3);
  });
});

async function captchaPng(text: string): Promise<Buffer> {
  const svgCaptcha = (await import('svg-captcha')).default as unknown as (text: string, options: object) => string;
  const svg = svgCaptcha(text, { noise: 1, color: false });
  return sharp(Buffer.from(svg)).png().toBuffer();
}

describe.skipIf(!hasModel)('the real LocalSolver behind the server', () => {
  it('answers what LocalSolver reads in-process, on worker threads and on the server thread', async () => {
    const { LocalSolver } = await import('../../src/solvers/offline/index.js');
    const images = await Promise.all(['k7Pd', 'X2ma', 'HbQ9'].map(captchaPng));
    const local = new LocalSolver({ model: MODEL });
    const expected = [];
    for (const img of images) expected.push((await local.recognize(img)).text);
    await local.close();
    for (const workers of [1, 0]) {
      const s = await createCapSolverServer({ port: 0, apiKey: false, workers, model: MODEL });
      servers.push(s);
      for (const [i, img] of images.entries()) {
        const r = await post(`${s.url}/createTask`, { clientKey: 'k', task: { type: 'ImageToTextTask', body: img.toString('base64') } });
        // LocalSolver answers "no text found" (unsolvable) for an empty reading; otherwise the same text
        if (expected[i] === '') expect(r.json).toMatchObject({ errorId: 1, errorCode: 'ERROR_CAPTCHA_UNSOLVABLE' });
        else expect(r.json).toMatchObject({ errorId: 0, status: 'ready', solution: { text: expected[i] } });
      }
    }
  });
});

/** Dark digits on white, rendered like the offline solver tests (the model reads these exactly). */
async function digitsPng(text: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="50"><rect width="100%" height="100%" fill="#fff"/><text x="12" y="38" font-family="DejaVu Sans, sans-serif" font-size="32" fill="#000">${text}</text></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

describe.skipIf(!hasModel)('our CapSolver client, the server and the real LocalSolver: `images`', () => {
  it('answers each digit image, in order, as the in-process LocalSolver does', async () => {
    const { LocalSolver } = await import('../../src/solvers/offline/index.js');
    const codes = ['40718', '2539', '6184'];
    const images = (await Promise.all(codes.map(digitsPng))).map((b) => b.toString('base64'));
    const local = new LocalSolver({ model: MODEL });
    const inProcess = await local.solve({ body: '', module: 'number', images });
    await local.close();
    expect(inProcess.answers).toEqual(codes);

    const s = await createCapSolverServer({ port: 0, apiKey: 'srv-key-images-1', workers: 0, model: MODEL });
    servers.push(s);
    const client = new CapSolver({ apiKey: 'srv-key-images-1', baseUrl: s.url, retries: 0 });
    const solution = await client.solve({ body: '', module: 'number', images });
    expect(solution.answers).toEqual(codes);
    expect(solution.text).toBe(codes.join(''));
    const reversed = await client.solve({ body: '', module: 'number', images: [...images].reverse() });
    expect(reversed.answers).toEqual([...codes].reverse());
  });
});

if (!hasModel) {
  describe('the real LocalSolver behind the server', () => {
    it.skip(`skipped: ${MODEL} is missing (the model arrives from training; the fake-solver tests cover the server)`, () => {});
  });
}

describe('serveCommand', () => {
  function capture() {
    let text = '';
    return { write: (s: string) => ((text += s), true), get text() { return text; } };
  }

  it('--help prints the flags and exits 0; a bad flag exits 2 with a message', async () => {
    const out = capture();
    expect(await serveCommand(['--help'], { stdout: out })).toBe(0);
    for (const flag of ['--port', '--host', '--api-key', '--concurrency', '--queue', '--threads', '--upstream', '--upstream-threshold']) expect(out.text).toContain(flag);
    const err = capture();
    expect(await serveCommand(['--port', 'eighty'], { stderr: err })).toBe(2);
    expect(err.text).toMatch(/--port/);
    const err2 = capture();
    expect(await serveCommand(['--frobnicate'], { stderr: err2 })).toBe(2);
    const err3 = capture();
    expect(await serveCommand(['--upstream', 'capsolver'], { stderr: err3, env: {} })).toBe(2);
    expect(err3.text).toMatch(/CAPSOLVER_API_KEY/);
  });

  it('a missing model: exits 1 naming the file', async () => {
    const err = capture();
    const code = await serveCommand(['--port', '0', '--model', '/nonexistent/dir/model.onnx', '--workers', '0'], { stderr: err, stdout: capture(), env: {} });
    expect(code).toBe(1);
    expect(err.text).toContain('/nonexistent/dir/model.onnx');
  });

  it.skipIf(!hasModel)('starts, prints the URL, solves, and stops gracefully when signalled', async () => {
    const out = capture();
    const stop = new AbortController();
    const key = 'cli-key-0123456';
    let url = '';
    const running = serveCommand(['--port', '0', '--api-key', key, '--workers', '1', '--model', MODEL], {
      stdout: out,
      stderr: capture(),
      env: {},
      signal: stop.signal,
      onListening: (u) => {
        url = u;
      },
    });
    for (let i = 0; i < 200 && !url; i++) await new Promise((r) => setTimeout(r, 50));
    expect(out.text).toContain(url);
    const img = await captchaPng('ab12');
    const r = await post(`${url}/createTask`, { clientKey: key, task: { type: 'ImageToTextTask', body: img.toString('base64') } });
    // a model answer, or CapSolver's "not recognized" when the model reads nothing
    expect(r.json.errorId === 0 ? r.json.status : r.json.errorCode).toMatch(/^(ready|ERROR_CAPTCHA_UNSOLVABLE)$/);
    expect(out.text).not.toContain(key);
    stop.abort();
    expect(await running).toBe(0);
    expect(out.text).toMatch(/stopped after [01] solved, [01] failed, 0 busy/);
  });
});
