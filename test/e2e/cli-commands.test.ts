/**
 * The `image-captcha` bin, run as users run it: `node dist/cli.js …` in a child process (needs
 * `npm run build` first; npm test does it). `solve` goes through real Chromium against the fixture site with
 * `--solver capsolver` pointed (CAPSOLVER_API_BASE) at a loopback CapSolver-protocol server whose answers
 * come from the fixture site's records, so the run is deterministic and the key handling is real.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH } from '../support/chromium.js';
import { useCapSolverSite, useTempDir } from '../support/e2e.js';
import { runProcess, type ProcessRun as Run } from '../support/process.js';
import { LocalSolver } from '../../src/solvers/offline/index.js';

const root = resolve(__dirname, '../..');
const cli = join(root, 'dist', 'cli.js');
const KEY = 'CAP-cli-test-key-0123456789abcdef';

function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 90_000): Promise<Run> {
  return runProcess(process.execPath, [cli, ...args], {
    env: { ...process.env, CAPSOLVER_API_KEY: undefined, IMAGE_CAPTCHA_DEBUG: undefined, CHROMIUM_PATH, ...env },
    timeoutMs,
  });
}

beforeAll(() => {
  expect(existsSync(cli), 'dist/cli.js (run npm run build)').toBe(true);
});
const site = useCapSolverSite(KEY);
const work = useTempDir('ics-cli-');

describe('image-captcha CLI', () => {
  it('--help on every command, exit 0; no command prints help and exits 2', { timeout: 60_000 }, async () => {
    for (const args of [['--help'], ['solve', '--help'], ['ocr', '--help'], ['demo', '--help'], ['serve', '--help']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(/Usage/);
    }
    const none = await runCli([]);
    expect(none.code).toBe(2);
  });

  it('usage errors exit 2 with a message on stderr and nothing on stdout', { timeout: 60_000 }, async () => {
    const cases: Array<[string[], RegExp]> = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['solve'], /solve needs a <url>/],
      [['solve', 'not a url'], /not an http\(s\) or file URL/],
      [['solve', 'http://127.0.0.1:9/', '--solver', 'magic'], /--solver must be one of/],
      [['solve', 'http://127.0.0.1:9/', '--timeout', 'soon'], /--timeout must be a whole number/],
      [['solve', 'http://127.0.0.1:9/', '--bogus'], /Unknown option '--bogus'/],
      [['ocr'], /ocr needs at least one image file/],
      [['ocr', join(work.path, 'missing.png')], /cannot read .*missing\.png: ENOENT/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect([r.code, r.stderr], args.join(' ')).toEqual([2, expect.stringMatching(message)]);
      expect(r.stdout).toBe('');
    }
  });

  it('solve: JSON result on stdout, progress on stderr, screenshot and debug artifacts, key never printed', { timeout: 120_000 }, async () => {
    const shot = join(work.path, 'page.png');
    const debugDir = join(work.path, 'debug');
    const r = await runCli(
      ['solve', `${site.server.url}/login`, '--solver', 'capsolver', '--screenshot', shot, '--debug', debugDir, '--timeout', '60000'],
      { CAPSOLVER_API_KEY: KEY, CAPSOLVER_API_BASE: site.provider.url },
    );
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { solved: boolean; text: string; provider: string; attempts: number; timings: { total: number }; image?: string };
    expect(result).toMatchObject({ solved: true, provider: 'capsolver', attempts: 1 });
    expect(result.image).toBeUndefined();
    expect(site.server.stats().submissions.filter((s) => s.ok).map((s) => s.given)).toEqual([result.text]);
    expect(site.provider.requestsTo('/createTask')).toHaveLength(1);
    expect(r.stderr).toMatch(/\[image-captcha [\d.]+s\] launch/);
    expect(r.stderr).toMatch(/solve/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(KEY);
    expect(existsSync(shot), r.stderr).toBe(true);
    expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    expect(readdirSync(debugDir, { recursive: true }).length).toBeGreaterThan(0);
    for (const f of readdirSync(debugDir, { recursive: true }) as string[]) {
      const p = join(debugDir, f);
      if (existsSync(p) && !f.endsWith('.png') && !f.endsWith('.jpg')) {
        try {
          expect(readFileSync(p, 'utf8')).not.toContain(KEY);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EISDIR') throw e;
        }
      }
    }
  });

  it('solve: a rejected key exits 5 with the error as JSON, key redacted', { timeout: 90_000 }, async () => {
    const wrongKey = 'CAP-wrong-key-abcdef0123456789';
    const r = await runCli(['solve', `${site.server.url}/login`, '--solver', 'capsolver', '--quiet', '--timeout', '30000'], {
      CAPSOLVER_API_KEY: wrongKey,
      CAPSOLVER_API_BASE: site.provider.url,
    });
    expect(r.code, r.stderr).toBe(5);
    const out = JSON.parse(r.stdout) as { solved: boolean; error: { name: string; code: string } };
    expect(out.solved).toBe(false);
    expect(out.error.name).toBe('AuthError');
    expect(`${r.stdout}${r.stderr}`).not.toContain(wrongKey);
    expect(r.stderr).not.toMatch(/\[image-captcha/); // --quiet
    expect(site.server.stats().totals.submissions).toBe(0);
  });

  it('solve: an unreachable URL exits 1 with a NavigationError as JSON', { timeout: 60_000 }, async () => {
    const { createServer } = await import('node:net');
    const probe = createServer();
    const port = await new Promise<number>((ok) => probe.listen(0, '127.0.0.1', () => ok((probe.address() as { port: number }).port)));
    await new Promise((ok) => probe.close(ok)); // nothing listens there now
    const url = `http://127.0.0.1:${port}/login`;
    const r = await runCli(['solve', url, '--solver', 'local', '--quiet', '--timeout', '20000']);
    expect(r.code, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout) as { solved: boolean; error: { name: string; message: string } };
    expect(out).toMatchObject({ solved: false, error: { name: 'NavigationError' } });
    expect(out.error.message).toContain(`could not open ${url}: `);
    expect(out.error.message).toMatch(/ERR_CONNECTION_REFUSED/);
  });

  it('solve: a page without a captcha exits 3', { timeout: 90_000 }, async () => {
    const r = await runCli(['solve', `${site.server.url}/logout`, '--solver', 'capsolver', '--timeout', '20000', '--locate-timeout', '1500', '--quiet'], {
      CAPSOLVER_API_KEY: KEY,
      CAPSOLVER_API_BASE: site.provider.url,
    });
    expect(r.code, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ solved: false, error: { name: 'CaptchaNotFoundError' } });
    expect(site.provider.requestsTo('/createTask')).toHaveLength(0);
  });

  it('ocr: one answer per line in input order, the same as the model in-process; --json', { timeout: 120_000 }, async () => {
    // Two real captcha images from the site, plus the first again, so order matters.
    const files: string[] = [];
    for (const [i, [page, pattern]] of ([['/demo', /src="(\/captcha\/demo\.png\?id=[^"]+)"/], ['/login', /src="(\/captcha\/securimage\?id=[^"]+)"/]] as const).entries()) {
      const html = await (await fetch(`${site.server.url}${page}`)).text();
      const src = pattern.exec(html)?.[1];
      expect(src, `captcha image on ${page}`).toBeDefined();
      const res = await fetch(`${site.server.url}${src!.replace(/&amp;/g, '&')}`);
      expect(res.status).toBe(200);
      const file = join(work.path, `img-${i}.bin`);
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      files.push(file);
    }
    files.push(files[0]!);
    const model = new LocalSolver();
    const floatModel = new LocalSolver({ int8: false });
    const expected: string[] = [];
    const told: string[] = []; // --math: told the images are arithmetic (these are not: the text reading, one look)
    const float: string[] = [];
    try {
      for (const f of files) expected.push((await model.recognize(readFileSync(f))).text);
      for (const f of files) told.push((await model.recognize(readFileSync(f), { arithmetic: true })).text);
      for (const f of files) float.push((await floatModel.recognize(readFileSync(f))).text);
    } finally {
      await model.close();
      await floatModel.close();
    }
    const plain = await runCli(['ocr', ...files]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout.split('\n').slice(0, -1)).toEqual(expected);
    const json = await runCli(['ocr', '--json', ...files]);
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<{ file: string; text: string; confidence: number }>;
    expect(rows.map((r) => [r.file, r.text])).toEqual(files.map((f, i) => [f, expected[i]]));
    for (const r of rows) expect(r.confidence).toBeGreaterThanOrEqual(0);
    const digits = await runCli(['ocr', '--charset', '0123456789', ...files]);
    expect(digits.code, digits.stderr).toBe(0);
    for (const line of digits.stdout.split('\n').slice(0, -1)) expect(line).toMatch(/^[0-9]*$/);
    const lower = await runCli(['ocr', '--lowercase', ...files]);
    expect(lower.stdout).toBe(lower.stdout.toLowerCase());
    // --length: every answer gets that many characters (3 is shorter than any of these captchas)
    const three = await runCli(['ocr', '--length', '3', ...files]);
    expect(three.code, three.stderr).toBe(0);
    for (const line of three.stdout.split('\n').slice(0, -1)) expect(line).toHaveLength(3);
    const math = await runCli(['ocr', '--math', '--json', ...files]);
    expect(math.code, math.stderr).toBe(0);
    expect((JSON.parse(math.stdout) as Array<{ text: string; expression?: string }>).map((r) => [r.text, r.expression])).toEqual(told.map((t) => [t, undefined]));
    // --float: the float model, not its int8 copy
    const floatRun = await runCli(['ocr', '--float', ...files]);
    expect(floatRun.code, floatRun.stderr).toBe(0);
    expect(floatRun.stdout.split('\n').slice(0, -1)).toEqual(float);
    const bad = await runCli(['ocr', '--length', '6-4', files[0]!]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--length must be N or MIN-MAX/);
  });

  it('ocr: a file that is not an image fails with exit 1 and a message', { timeout: 60_000 }, async () => {
    const bad = join(work.path, 'not-an-image.txt');
    writeFileSync(bad, 'hello, I am text');
    const r = await runCli(['ocr', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/image-captcha: .*the bytes are not an image/);
    expect(r.stdout).toBe('');
  });

  it('demo: serves the fixture site, solves /demo offline end to end, prints the result', { timeout: 150_000 }, async () => {
    const r = await runCli(['demo'], {}, 140_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const result = JSON.parse(r.stdout) as { solved: boolean; provider: string; text: string; attempts: number };
    expect(result).toMatchObject({ solved: true, provider: 'local' });
    expect(result.text).toMatch(/^\S+$/);
    expect(r.stderr).toMatch(/demo: solved "\S+" in \d+ attempt/);
  });

  it('solve: Ctrl+C (SIGINT) closes Chromium and exits 130', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [cli, 'solve', `${site.server.url}/login?imageDelayMs=30000`, '--solver', 'capsolver'], {
      cwd: root,
      env: { ...process.env, CAPSOLVER_API_KEY: KEY, CAPSOLVER_API_BASE: site.provider.url, CHROMIUM_PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const opened = new Promise<void>((ok) => {
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (/\] open: /.test(stderr)) ok();
      });
    });
    const exited = new Promise<number | null>((ok) => child.on('close', (code) => ok(code)));
    await opened;
    const { execFileSync } = await import('node:child_process');
    const browserPids = execFileSync('pgrep', ['-P', String(child.pid)]).toString().trim().split('\n').map(Number);
    expect(browserPids.length).toBeGreaterThan(0);
    const started = Date.now();
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<'hung'>((ok) => setTimeout(() => ok('hung'), 20_000))]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(code).toBe(130);
    expect(Date.now() - started).toBeLessThan(10_000);
    const alive = browserPids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
    expect(site.server.stats().totals.submissions).toBe(0);
  });
});
