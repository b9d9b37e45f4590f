/**
 * The whole tree (src, tests, fixtures, examples, bench) type-checks under `strict`.
 * Run as a test so a type error is reported like any failure instead of stopping the suite.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

it('tsc --noEmit passes on the repository', { timeout: 300_000 }, () => {
  const tsc = resolve(root, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});
