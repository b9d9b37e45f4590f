/**
 * Issue 29: the server's micro-batching. A burst of concurrent tasks on the default solver (a worker whose
 * LocalSolver batches readings of one input size) gets every task answered once, with the answer each image gets
 * alone (LocalSolver with `batch: 1`, one image per run).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import svgCaptcha from 'svg-captcha';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/core/errors.js';
import { createCapSolverServer, resolveServerOptions, type CapSolverServer } from '../../src/server/index.js';
import { LocalSolver } from '../../src/solvers/offline/index.js';

const ROOT = join(__dirname, '..', '..');
const MODEL = join(ROOT, 'models', 'captcha-ocr.onnx');
const TESTDATA = join(ROOT, 'training', 'testdata');

let server: CapSolverServer | undefined;
afterAll(async () => server?.close());

/** 16 images: the committed test vectors and svg-captcha images of two sizes (so batches hold one size each). */
async function images(): Promise<string[]> {
  const out = readdirSync(TESTDATA).filter((f) => f.endsWith('.png')).map((f) => readFileSync(join(TESTDATA, f)).toString('base64'));
  for (let i = out.length; i < 16; i++) {
    const c = svgCaptcha.create({ size: 4 + (i % 2), noise: 1, width: i % 2 ? 150 : 120, height: 50 });
    out.push((await sharp(Buffer.from(c.data)).png().toBuffer()).toString('base64'));
  }
  return out;
}

/** What one image gets alone: its text, or the error code `solve()` fails with. */
async function alone(bodies: string[]): Promise<string[]> {
  const solver = new LocalSolver({ model: MODEL, batch: 1 });
  try {
    const out: string[] = [];
    for (const body of bodies) out.push(await solver.solve({ body }).then((s) => s.text, (e: { code?: string }) => `error ${e.code}`));
    return out;
  } finally {
    await solver.close();
  }
}

describe.skipIf(!existsSync(MODEL))('server micro-batching', () => {
  it('a burst of 48 concurrent tasks: each answered once, as the image is read alone', { timeout: 120_000 }, async () => {
    const bodies = await images();
    const expected = await alone(bodies);
    server = await createCapSolverServer({ port: 0, apiKey: false, workers: 1, batch: 8, model: MODEL });
    const agent = new Agent({ connections: 48 });
    const burst = Array.from({ length: 48 }, (_, i) => i % bodies.length);
    const answers = await Promise.all(
      burst.map(async (k) => {
        const res = await request(`${server!.url}/createTask`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ clientKey: `client-${k % 4}`, task: { type: 'ImageToTextTask', body: bodies[k] } }),
          dispatcher: agent,
        });
        return (await res.body.json()) as { errorId: number; errorCode: string; taskId: string; solution?: { text: string } };
      }),
    );
    await agent.close();
    expect(answers.map((a) => (a.errorId === 0 ? a.solution!.text : `error ${a.errorCode}`))).toEqual(burst.map((k) => expected[k]));
    expect(new Set(answers.map((a) => a.taskId)).size).toBe(48);
    expect(server.stats().tasks).toMatchObject({ received: 48, solved: answers.filter((a) => a.errorId === 0).length, busy: 0 });
  });
});

describe('server batch options', () => {
  it('defaults to batches of 8 and 8 tasks per worker; refuses a batch outside 1–64', () => {
    expect(resolveServerOptions({ workers: 2 })).toMatchObject({ batch: 8, maxRunning: 16 });
    expect(resolveServerOptions({ workers: 2, batch: 1 })).toMatchObject({ batch: 1 });
    for (const batch of [0, 65, 2.5]) expect(() => resolveServerOptions({ batch })).toThrow(InvalidOptionError);
  });
});
