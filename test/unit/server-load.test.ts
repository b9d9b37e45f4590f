/**
 * A burst larger than the queue, on loopback, bounded in count and time: every request gets either its
 * answer or a proper CapSolver-shaped busy error; none hangs, none is dropped, none gets another's answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { createCapSolverServer, type CapSolverServer } from '../../src/server/index.js';
import { FakeSolver, expectedText, gate, post, pngBody, sortedKeys } from './server-helpers.js';

let server: CapSolverServer | undefined;
let agent: Agent | undefined;
afterEach(async () => {
  await agent?.close();
  await server?.close();
  server = undefined;
  agent = undefined;
});

describe('load', () => {
  it('a burst of 300 against maxRunning 4 + queue 40: each request is answered, ready or busy (429 ERROR_SERVICE_UNAVALIABLE)', async () => {
    // solves are held until every request has arrived, so the queue is certainly full when they run
    const held = gate();
    const solver = new FakeSolver({ delay: 2, gate: held.promise });
    server = await createCapSolverServer({ port: 0, apiKey: false, solver, maxRunning: 4, concurrency: 4, queueSize: 40 });
    agent = new Agent({ connections: 300, pipelining: 1 });
    const N = 300;
    const arrived = (async () => {
      for (let i = 0; i < 3000 && server!.stats().tasks.received < N; i++) await new Promise((r) => setTimeout(r, 5));
      held.open();
    })();
    const answers = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        post(`${server!.url}/createTask`, { clientKey: 'load', task: { type: 'ImageToTextTask', body: pngBody(i + 1, 99) } }, { dispatcher: agent, timeout: 20_000 }).then(
          (r) => ({ i, r }),
          (error: unknown) => ({ i, error }),
        ),
      ),
    );
    await arrived;
    const failures = answers.filter((a) => 'error' in a);
    expect(failures).toEqual([]);
    let ready = 0;
    let busy = 0;
    for (const a of answers) {
      if (!('r' in a)) continue;
      const { r, i } = a;
      if (r.status === 200) {
        ready++;
        expect(r.json).toMatchObject({ errorId: 0, status: 'ready', solution: { text: expectedText(i + 1, 99) } });
      } else {
        busy++;
        expect(r.status).toBe(429);
        expect(sortedKeys(r.json)).toEqual(['errorCode', 'errorDescription', 'errorId']);
        expect(r.json).toMatchObject({ errorId: 1, errorCode: 'ERROR_SERVICE_UNAVALIABLE' });
        expect(r.headers['retry-after']).toBe('1');
      }
    }
    expect(ready + busy).toBe(N);
    // 4 running + 40 queued were answered, the rest refused at once
    expect(ready).toBe(44);
    expect(busy).toBe(N - 44);
    expect(solver.maxRunning).toBeLessThanOrEqual(4);
    const stats = server.stats();
    expect(stats.peakQueued).toBeLessThanOrEqual(40);
    expect(stats.tasks).toEqual({ received: N, solved: ready, failed: 0, busy });
    expect(stats.running).toBe(0);
    expect(stats.queued).toBe(0);
    // after the burst, the server answers normally
    const after = await post(`${server.url}/createTask`, { clientKey: 'load', task: { type: 'ImageToTextTask', body: pngBody(1, 99) } }, { dispatcher: agent });
    expect(after.json.status).toBe('ready');
  });

  it('the same burst in the task-API dialect: every task is refused at once (ERROR_NO_SLOT_AVAILABLE) or solved; none stays processing', async () => {
    const held = gate();
    const solver = new FakeSolver({ delay: 2, gate: held.promise });
    server = await createCapSolverServer({ port: 0, apiKey: false, solver, maxRunning: 4, queueSize: 20 });
    agent = new Agent({ connections: 100 });
    const N = 150;
    const created = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        post(`${server!.url}/anticaptcha/createTask`, { clientKey: 'load', task: { type: 'ImageToTextTask', body: pngBody(i + 1, 99) } }, { dispatcher: agent, timeout: 20_000 }),
      ),
    );
    const accepted = created.map((r, i) => ({ r, i })).filter(({ r }) => r.json.errorId === 0);
    const refused = created.filter((r) => r.json.errorId !== 0);
    for (const r of refused) expect([r.status, r.json.errorId, r.json.errorCode]).toEqual([200, 2, 'ERROR_NO_SLOT_AVAILABLE']);
    expect(accepted.length + refused.length).toBe(N);
    expect(accepted.length).toBe(24);
    held.open();
    const deadline = Date.now() + 15_000;
    for (const { r, i } of accepted) {
      let g;
      do {
        g = await post(`${server.url}/anticaptcha/getTaskResult`, { clientKey: 'load', taskId: r.json.taskId }, { dispatcher: agent });
        if (g.json.status === 'processing') await new Promise((res) => setTimeout(res, 20));
      } while (g.json.status === 'processing' && Date.now() < deadline);
      expect(g.json).toMatchObject({ errorId: 0, status: 'ready', solution: { text: expectedText(i + 1, 99) } });
    }
  });
});
