/**
 * `image-captcha solve <url> --collect DIR` (and `--solver hybrid`), run as users run it: `node dist/cli.js` in a
 * child process (needs `npm run build`), Chromium against the fixture site, the cloud a loopback CapSolver server.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH } from '../support/chromium.js';
import { useCapSolverSite, useTempDir } from '../support/e2e.js';
import { runProcess } from '../support/process.js';

const cli = resolve(__dirname, '../../dist/cli.js');
const KEY = 'CAP-cli-collect-key-0123456789abcdef';
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

beforeAll(() => {
  expect(existsSync(cli), 'dist/cli.js (run npm run build)').toBe(true);
});
const site = useCapSolverSite(KEY);
const work = useTempDir('ics-cli-collect-');

describe('image-captcha solve --collect', () => {
  const solve = (dir: string, solver: string) =>
    runProcess(process.execPath, [cli, 'solve', `${site.server.url}/login`, '--solver', solver, '--collect', dir, '--retries', '4', '--quiet'], {
      env: { ...process.env, CAPSOLVER_API_KEY: KEY, CAPSOLVER_API_BASE: site.provider.url, IMAGE_CAPTCHA_DEBUG: undefined, CHROMIUM_PATH },
      timeoutMs: 120_000,
    });

  it('writes the accepted capture (the bytes the cloud read) and its answer', { timeout: 150_000 }, async () => {
    const dir = join(work.path, 'capsolver');
    const r = await solve(dir, 'capsolver');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { text: string; collected: { status: string; file: string } };
    const sent = Buffer.from(String(site.provider.requestsTo('/createTask')[0]!.json.task.body), 'base64');
    expect(result.collected).toMatchObject({ status: 'added', file: expect.stringMatching(new RegExp(`^${sha1(sent)}\\.`)) });
    expect(readFileSync(join(dir, 'labels.tsv'), 'utf8')).toBe(`file\ttext\n${result.collected.file}\t${result.text}\n`);
    expect(readFileSync(join(dir, result.collected.file)).equals(sent)).toBe(true);
  });

  it('--solver hybrid: answered by the model or the cloud, the accepted one collected', { timeout: 150_000 }, async () => {
    const dir = join(work.path, 'hybrid');
    const r = await solve(dir, 'hybrid');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { text: string; provider: string; collected: { file: string } };
    expect(['local', 'capsolver']).toContain(result.provider);
    const rows = readFileSync(join(dir, 'labels.tsv'), 'utf8').trim().split('\n');
    expect(rows).toEqual(['file\ttext', `${result.collected.file}\t${result.text}`]);
    expect(`${r.stdout}${r.stderr}`).not.toContain(KEY);
  });
});
