/**
 * Module walls (like Playwright's DEPS.list): checked on every test run.
 * - src/core imports nothing of ours outside src/core.
 * - src/solvers never imports src/browser, src/flow, src/locate, src/capture or src/plugins.
 * - only src/browser, src/plugins, src/playwright.ts, src/puppeteer.ts and src/cli name a browser framework,
 *   and src/browser does so with `import type` only (a Puppeteer user must not need Playwright, and the reverse).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

interface Import {
  spec: string;
  typeOnly: boolean;
  dynamic: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  const staticRe = /^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(staticRe)) out.push({ spec: m[3]!, typeOnly: Boolean(m[2]), dynamic: false });
  const bareRe = /^\s*import\s+['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(bareRe)) out.push({ spec: m[1]!, typeOnly: false, dynamic: false });
  const dynRe = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(dynRe)) out.push({ spec: m[1]!, typeOnly: false, dynamic: true });
  const reqRe = /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(reqRe)) out.push({ spec: m[1]!, typeOnly: false, dynamic: true });
  return out;
}

const FRAMEWORKS = /^(playwright|playwright-core|@playwright\/test|puppeteer|puppeteer-core|puppeteer-extra|playwright-extra|puppeteer-extra-plugin)(\/|$)/;

function area(file: string): string {
  const rel = relative(src, file).replace(/\\/g, '/');
  return rel.includes('/') ? rel.split('/')[0]! : rel;
}

function target(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const abs = resolve(dirname(file), spec);
  const rel = relative(src, abs).replace(/\\/g, '/');
  if (rel.startsWith('..')) return undefined;
  return rel.includes('/') ? rel.split('/')[0]! : rel.replace(/\.js$/, '.ts');
}

const all = files(src);

describe('module walls', () => {
  it('finds the source tree', () => {
    expect(all.length).toBeGreaterThan(5);
  });

  it('src/core imports nothing of ours outside core', () => {
    const bad = all
      .filter((f) => area(f) === 'core')
      .flatMap((f) => importsOf(f).map((i) => [f, i.spec, target(f, i.spec)] as const))
      .filter(([, , t]) => t !== undefined && t !== 'core');
    expect(bad).toEqual([]);
  });

  it('src/solvers never imports the browser side', () => {
    const forbidden = new Set(['browser', 'flow', 'locate', 'capture', 'plugins', 'cli', 'playwright.ts', 'puppeteer.ts']);
    const bad = all
      .filter((f) => area(f) === 'solvers' || area(f) === 'server')
      .flatMap((f) => importsOf(f).map((i) => [relative(root, f), i.spec, target(f, i.spec)] as const))
      .filter(([, , t]) => t !== undefined && forbidden.has(t));
    expect(bad).toEqual([]);
  });

  it('only adapters, plugins and the CLI name a browser framework; the core of the flow uses `import type` at most', () => {
    // plugins/ is its own subpath entry whose peer is that framework; the CLI loads playwright-core lazily.
    const allowedType = new Set(['browser', 'plugins', 'cli', 'playwright.ts', 'puppeteer.ts']);
    const bad: string[] = [];
    for (const f of all) {
      for (const i of importsOf(f)) {
        if (!FRAMEWORKS.test(i.spec)) continue;
        const a = area(f);
        const ok = i.typeOnly ? allowedType.has(a) : a === 'plugins' || (a === 'cli' && i.dynamic);
        if (!ok) bad.push(`${relative(root, f)}: ${i.typeOnly ? 'import type' : i.dynamic ? 'dynamic import' : 'import'} '${i.spec}'`);
      }
    }
    expect(bad).toEqual([]);
  });
});
