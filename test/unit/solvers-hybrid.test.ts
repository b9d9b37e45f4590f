/**
 * HybridSolver (src/solvers/hybrid.ts) with scripted local and cloud solvers: which side reads what, the fallback
 * when the cloud fails, the counters, and createSolver('hybrid'). The end-to-end run is test/e2e/hybrid.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AuthError, InvalidOptionError, ProviderUnavailableError, UnsolvableError } from '../../src/core/errors.js';
import type { ImageToTextTask, Solution, SolveOptions, Solver } from '../../src/core/types.js';
import { CapSolver } from '../../src/solvers/capsolver.js';
import { HybridSolver } from '../../src/solvers/hybrid.js';
import { LocalSolver } from '../../src/solvers/offline/index.js';
import { createSolver } from '../../src/solvers/registry.js';

/** A solver that answers `read(task)` (a reading, or an error to throw) and records its calls. */
function scripted(name: string, read: (task: ImageToTextTask) => { text: string; confidence?: number } | Error) {
  const calls: ImageToTextTask[] = [];
  const reported: Solution[] = [];
  const verdicts: boolean[] = [];
  const solver: Solver & { calls: typeof calls; reported: typeof reported; verdicts: typeof verdicts } = {
    name,
    calls,
    reported,
    verdicts,
    async solve(task: ImageToTextTask, options?: SolveOptions) {
      calls.push(task);
      options?.signal?.throwIfAborted();
      const r = read(task);
      if (r instanceof Error) throw r;
      return { ...r, provider: name, elapsedMs: 1 };
    },
    async reportIncorrect(solution: Solution) {
      reported.push(solution);
    },
    feedback(_s: Solution, accepted: boolean) {
      verdicts.push(accepted);
    },
  };
  return solver;
}

/** The task body encodes the local confidence: "c0.95" reads with 0.95, "refuse" is refused. */
const local = () =>
  scripted('local', (t) => (t.body === 'refuse' ? new UnsolvableError('no text') : { text: `L-${t.body}`, confidence: Number(t.body.slice(1)) }));
const cloud = (fail?: Error) => scripted('capsolver', (t) => fail ?? { text: `C-${t.body}` });

describe('HybridSolver', () => {
  it('answers confident readings locally and sends only unsure or refused images to the cloud', async () => {
    const l = local();
    const c = cloud();
    const h = new HybridSolver({ local: l, cloud: c, minConfidence: 0.9 });
    const bodies = ['c0.95', 'c0.5', 'c0.9', 'refuse', 'c0.89'];
    const answers = await Promise.all(bodies.map((body) => h.solve({ body, score: 0.95 })));
    expect(answers.map((a) => a.text)).toEqual(['L-c0.95', 'C-c0.5', 'L-c0.9', 'C-refuse', 'C-c0.89']);
    expect(answers.map((a) => h.sideOf(a))).toEqual(['local', 'cloud', 'local', 'cloud', 'cloud']);
    expect(c.calls.map((t) => t.body)).toEqual(['c0.5', 'refuse', 'c0.89']);
    expect(c.calls[0]).toMatchObject({ score: 0.95 }); // the cloud gets the task as given
    expect(l.calls.every((t) => t.score === undefined)).toBe(true); // the local model is not told to refuse
    expect(h.stats()).toMatchObject({ answered: 5, local: 2, cloud: 3, cloudAnswered: 3, cloudErrors: 0, fallbacks: 0 });
  });

  it('counts the page verdicts per side and reports a wrong cloud answer to the cloud only', async () => {
    const l = local();
    const c = cloud();
    const h = new HybridSolver({ local: l, cloud: c });
    const [a, b, d] = await Promise.all(['c0.99', 'c0.1', 'c0.2'].map((body) => h.solve({ body })));
    h.feedback(a!, true);
    h.feedback(b!, false);
    await h.reportIncorrect(b!);
    h.feedback(d!, true);
    await h.reportIncorrect(a!); // a local answer: the local solver hears of it, the cloud never
    h.feedback({ text: 'x', provider: 'other', elapsedMs: 0 }, true); // not ours: ignored
    expect(h.stats()).toMatchObject({ localAccepted: 1, localRejected: 0, cloudAccepted: 1, cloudRejected: 1 });
    expect(c.reported).toEqual([b]);
    expect(l.reported).toEqual([a]);
    expect(l.verdicts).toEqual([true]);
    expect(c.verdicts).toEqual([false, true]);
  });

  it('falls back to the unsure local reading when the cloud is down, and says so in the counters', async () => {
    const h = new HybridSolver({ local: local(), cloud: cloud(new ProviderUnavailableError('HTTP 503')) });
    expect((await h.solve({ body: 'c0.3' })).text).toBe('L-c0.3');
    await expect(h.solve({ body: 'refuse' })).rejects.toThrow(/HTTP 503/); // no local reading to fall back on
    expect(h.stats()).toMatchObject({ answered: 1, local: 1, cloud: 2, cloudAnswered: 0, cloudErrors: 2, fallbacks: 1, saved: { requests: 0 } });
  });

  it("rejects with the cloud's error on account problems, or always with onCloudError: 'throw'", async () => {
    const auth = new HybridSolver({ local: local(), cloud: cloud(new AuthError('bad key')) });
    await expect(auth.solve({ body: 'c0.3' })).rejects.toBeInstanceOf(AuthError);
    const strict = new HybridSolver({ local: local(), cloud: cloud(new ProviderUnavailableError('down')), onCloudError: 'throw' });
    await expect(strict.solve({ body: 'c0.3' })).rejects.toThrow(/down/);
    expect(strict.stats()).toMatchObject({ answered: 0, cloudErrors: 1, fallbacks: 0 });
  });

  it('rejects with signal.reason when aborted, without asking the cloud', async () => {
    const c = cloud();
    const h = new HybridSolver({ local: local(), cloud: c });
    const ac = new AbortController();
    const reason = new Error('stop');
    ac.abort(reason);
    await expect(h.solve({ body: 'c0.1' }, { signal: ac.signal })).rejects.toBe(reason);
    expect(c.calls).toEqual([]);
  });

  it('estimates the time saved from the cloud answer time', async () => {
    const slow = scripted('capsolver', (t) => ({ text: t.body }));
    const solve = slow.solve.bind(slow);
    slow.solve = async (task, o) => (await new Promise((r) => setTimeout(r, 40)), solve(task, o));
    const h = new HybridSolver({ local: local(), cloud: slow, minConfidence: 0.5 });
    for (const body of ['c0.1', 'c0.9', 'c0.9', 'c0.9']) await h.solve({ body });
    const s = h.stats();
    expect(s.saved.requests).toBe(3);
    expect(s.saved.ms).toBeGreaterThanOrEqual(3 * 30);
  });

  it('validates its options', () => {
    expect(() => new HybridSolver({ local: local(), cloud: undefined as never })).toThrow(InvalidOptionError);
    expect(() => new HybridSolver({ local: local(), cloud: cloud(), minConfidence: 1.5 })).toThrow(/minConfidence.*0–1/);
    expect(() => new HybridSolver({ local: local(), cloud: cloud(), onCloudError: 'maybe' as never })).toThrow(/onCloudError/);
  });
});

describe("createSolver('hybrid')", () => {
  it('takes local, cloud and minConfidence', () => {
    const l = local();
    const c = cloud();
    const h = createSolver('hybrid', { local: l, cloud: c, minConfidence: 0.7 }) as HybridSolver;
    expect(h).toBeInstanceOf(HybridSolver);
    expect([h.name, h.local, h.cloud, h.minConfidence, h.onCloudError]).toEqual(['hybrid', l, c, 0.7, 'local']);
  });

  it('defaults to the offline model (not told to refuse) and CapSolver, with minConfidence 0.8', async () => {
    const h = createSolver('hybrid', { apiKey: 'CAP-HYBRID-000000000001', threads: 1 }) as HybridSolver;
    expect(h.local).toBeInstanceOf(LocalSolver);
    expect((h.local as LocalSolver).minConfidence).toBe(0);
    expect(h.cloud).toBeInstanceOf(CapSolver);
    expect(h.minConfidence).toBe(0.8);
    await h.close();
  });
});
