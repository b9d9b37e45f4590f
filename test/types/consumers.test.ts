/**
 * The built `.d.ts` files leak no framework types: `tsc --noEmit` (skipLibCheck off) on two consumer projects,
 * one where only puppeteer-core is resolvable (CommonJS, so the `.d.cts` files are checked) and one where only
 * playwright-core is (ESM). Each project is copied to a temp dir whose node_modules holds a COPY of our package
 * (dist + package.json, so its imports cannot resolve through this repo's node_modules), our runtime
 * dependencies, @types/node and the one framework. A control run proves a leak is caught.
 *
 * Needs `npm run build` first (npm test does it).
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const made: string[] = [];

function link(nm: string, pkg: string): void {
  const target = join(root, 'node_modules', pkg);
  const at = join(nm, pkg);
  mkdirSync(dirname(at), { recursive: true });
  symlinkSync(target, at, 'dir');
}

function consumer(name: string, framework: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ics-types-${name}-`));
  made.push(dir);
  cpSync(join(__dirname, 'consumers', name), dir, { recursive: true });
  const nm = join(dir, 'node_modules');
  const self = join(nm, 'image-captcha-solver');
  mkdirSync(self, { recursive: true });
  cpSync(join(root, 'dist'), join(self, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') });
  cpSync(join(root, 'package.json'), join(self, 'package.json'));
  for (const dep of ['undici', 'sharp', 'onnxruntime-node', '@types/node', framework]) link(nm, dep);
  return dir;
}

async function typecheck(dir: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir, timeout: 120_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe('published types', () => {
  it('are built', () => {
    for (const f of ['index.d.ts', 'index.d.cts', 'puppeteer-extra.d.ts', 'puppeteer-extra.d.cts', 'test.d.ts', 'playwright.d.ts', 'puppeteer.d.ts']) {
      expect(existsSync(join(root, 'dist', f)), `dist/${f} (run npm run build)`).toBe(true);
    }
  });

  it('compile in a project with only puppeteer-core (CommonJS)', { timeout: 150_000 }, async () => {
    const dir = consumer('puppeteer-only', 'puppeteer-core');
    expect(existsSync(join(dir, 'node_modules', 'playwright-core'))).toBe(false);
    const { code, output } = await typecheck(dir);
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  it('compile in a project with only playwright-core (ESM)', { timeout: 150_000 }, async () => {
    const dir = consumer('playwright-only', 'playwright-core');
    expect(existsSync(join(dir, 'node_modules', 'puppeteer-core'))).toBe(false);
    const { code, output } = await typecheck(dir);
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  it('control: the harness does catch a framework the project lacks', { timeout: 150_000 }, async () => {
    // The @playwright/test entry names @playwright/test (its own peer): in the Puppeteer-only project it must fail.
    const dir = consumer('puppeteer-only', 'puppeteer-core');
    writeFileSync(join(dir, 'index.ts'), "import { captchaFixtures } from 'image-captcha-solver/test';\nexport const f = captchaFixtures;\n");
    const { code, output } = await typecheck(dir);
    expect(code).not.toBe(0);
    expect(output).toMatch(/@playwright\/test/);
  });
});
