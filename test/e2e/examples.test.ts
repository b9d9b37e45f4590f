/**
 * Every example in examples/ runs as a user runs it (`npx tsx examples/x.ts`, importing the package by name →
 * dist/, so `npm run build` first), against one fixture site started here (FIXTURE_URL). Each must exit 0 with a
 * solved summary, AND the site itself must have accepted the answers (so an example cannot pass by claiming).
 * The cloud example talks to a loopback CapSolver-protocol server (CAPSOLVER_API_BASE) answering from the site's
 * records. The examples are also type-checked (examples/tsconfig.json). The @playwright/test example spec is run
 * by test/e2e/plugins-playwright-test.test.ts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH } from '../support/chromium.js';
import { useCapSolverSite } from '../support/e2e.js';
import { runProcess, type ProcessRun as Run } from '../support/process.js';

const root = resolve(__dirname, '../..');
const KEY = 'CAP-examples-test-key-0123456789';

function run(cmd: string, args: string[], env: Record<string, string | undefined>, timeoutMs: number): Promise<Run> {
  return runProcess(cmd, args, { env: { ...process.env, CAPSOLVER_API_KEY: undefined, CHROMIUM_PATH, ...env }, timeoutMs });
}

function summaryOf(r: Run): Record<string, unknown> {
  const last = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`no JSON summary on the last stdout line (exit ${r.code}):\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-3000)}`);
  }
}

beforeAll(() => {
  for (const f of ['index.js', 'puppeteer-extra.js', 'test.js']) expect(existsSync(join(root, 'dist', f)), `dist/${f} (run npm run build)`).toBe(true);
});
const site = useCapSolverSite(KEY);

const cases: Array<{ file: string; page: string; minAccepted: number; env?: Record<string, string>; timeout?: number }> = [
  { file: 'playwright.ts', page: '/demo', minAccepted: 1 },
  { file: 'puppeteer.ts', page: '/login', minAccepted: 1 },
  { file: 'puppeteer-extra.ts', page: '/login', minAccepted: 1 },
  { file: 'playwright-extra.ts', page: '/login', minAccepted: 1 },
  { file: 'crawlee.ts', page: '/login', minAccepted: 6, env: { PAGES: '6', CONCURRENCY: '3' }, timeout: 150_000 },
  { file: 'cloud-capsolver.ts', page: '/login', minAccepted: 1, env: { CAPSOLVER_API_KEY: KEY } },
  { file: 'hybrid-collect.ts', page: '/login', minAccepted: 2, env: { CAPSOLVER_API_KEY: KEY }, timeout: 120_000 },
];

describe('examples', () => {
  it('every example script is covered here', () => {
    const scripts = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.ts') && !f.startsWith('_'));
    expect(scripts.sort()).toEqual(cases.map((c) => c.file).sort());
  });

  for (const c of cases) {
    it(`${c.file} exits 0 with a solved result the site accepted`, { timeout: (c.timeout ?? 90_000) + 10_000 }, async () => {
      const env: Record<string, string> = { FIXTURE_URL: site.server.url, ...(c.env ?? {}) };
      if (c.env?.CAPSOLVER_API_KEY) env.CAPSOLVER_API_BASE = site.provider.url;
      const r = await run('npx', ['tsx', `examples/${c.file}`], env, c.timeout ?? 90_000);
      const summary = summaryOf(r);
      expect([r.code, summary.solved], r.stderr.slice(-3000)).toEqual([0, true]);
      expect(site.okSubmissions(c.page)).toBeGreaterThanOrEqual(c.minAccepted);
      if (c.file === 'cloud-capsolver.ts') {
        expect(site.provider.requestsTo('/createTask').length).toBeGreaterThanOrEqual(1);
        expect(`${r.stdout}${r.stderr}`).not.toContain(KEY);
      }
    });
  }

  it('type-check (tsc -p examples)', { timeout: 180_000 }, async () => {
    const r = await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'examples', '--pretty', 'false'], {}, 170_000);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
