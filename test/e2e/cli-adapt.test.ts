/**
 * `image-captcha adapt`, run as users run it (`node dist/cli.js adapt …`; needs `npm run build`): the refusals
 * (exit 2, a message naming what to fix), and a short real run whose model folder `ocr --model` then reads.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTempDir } from '../support/e2e.js';
import { runProcess, type ProcessRun } from '../support/process.js';
import { styleImages } from '../support/adapt-style.js';

const root = resolve(__dirname, '../..');
const cli = join(root, 'dist', 'cli.js');
const work = useTempDir('ics-adapt-cli-');

function runCli(args: string[], timeoutMs = 90_000): Promise<ProcessRun> {
  return runProcess(process.execPath, [cli, ...args], { env: { ...process.env }, timeoutMs });
}

/** A collect-style folder of `n` images of the test style, with `edit` applied to the rows. */
function folder(name: string, n: number, edit: (rows: { name: string; text: string }[]) => void = () => {}): string {
  const dir = join(work.path, name);
  mkdirSync(dir);
  const items = styleImages(n, n + name.length);
  for (const it of items) writeFileSync(join(dir, it.name), it.image);
  const rows = items.map((it) => ({ name: it.name, text: it.text }));
  edit(rows);
  writeFileSync(join(dir, 'labels.tsv'), `file\ttext\n${rows.map((r) => `${r.name}\t${r.text}`).join('\n')}\n`);
  return dir;
}

beforeAll(() => {
  expect(existsSync(cli), 'dist/cli.js (run npm run build)').toBe(true);
});

describe('image-captcha adapt', () => {
  it('--help, and usage errors exit 2', { timeout: 60_000 }, async () => {
    const help = await runCli(['adapt', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: image-captcha adapt <dir> --out <folder>/);
    const noOut = await runCli(['adapt', work.path]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/needs --out/);
    const both = await runCli(['adapt', work.path, '--out', join(work.path, 'x'), '--rehearsal', work.path, '--no-rehearsal']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--rehearsal and --no-rehearsal cannot be used together/);
  });

  it('refuses too few images, unknown characters and unreadable images, naming them', { timeout: 60_000 }, async () => {
    const few = await runCli(['adapt', folder('few', 20), '--out', join(work.path, 'm1')]);
    expect(few.code).toBe(2);
    expect(few.stderr).toMatch(/20 labelled image\(s\) is too few to learn from \(at least 50\)/);
    const chars = await runCli(['adapt', folder('chars', 60, (rows) => (rows[2]!.text = '12+5')), '--out', join(work.path, 'm2')]);
    expect(chars.code).toBe(2);
    expect(chars.stderr).toMatch(/character\(s\) the model cannot output: "\+" \(in s\d+-2\.png\)/);
    const broken = folder('broken', 60);
    writeFileSync(join(broken, readFileSync(join(broken, 'labels.tsv'), 'utf8').split('\n')[4]!.split('\t')[0]!), 'garbage');
    const bad = await runCli(['adapt', broken, '--out', join(work.path, 'm3')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/1 image\(s\) cannot be read .*s\d+-3\.png/);
    for (const m of ['m1', 'm2', 'm3']) expect(existsSync(join(work.path, m))).toBe(false);
  });

  it('adapts, prints the accuracy before and after, writes a model folder ocr --model reads; refuses it then without --force', { timeout: 120_000 }, async () => {
    const data = folder('good', 60);
    const out = join(work.path, 'model');
    const run = await runCli(['adapt', data, '--out', out, '--epochs', '2']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/epoch 2\/2 {2}loss \d+\.\d{3} {2}val \d+\.\d%/);
    expect(run.stdout).toMatch(/validation accuracy before: \d+\.\d%[^\n]*\nvalidation accuracy after: {2}\d+\.\d%/);
    expect(run.stdout).toMatch(/adapted on 54 images \(with \d+ rehearsal images of other styles\)/);
    expect(run.stdout).toMatch(/second look \(reading unsure images again\): (kept|off), it read/);
    expect(JSON.parse(readFileSync(join(out, 'captcha-ocr.json'), 'utf8')).adaptedFrom.trainImages).toBe(54);
    const image = join(data, readFileSync(join(data, 'labels.tsv'), 'utf8').split('\n')[1]!.split('\t')[0]!);
    const ocr = await runCli(['ocr', '--model', out, '--json', image]);
    expect(ocr.code, ocr.stderr).toBe(0);
    expect(JSON.parse(ocr.stdout)[0].text).toMatch(/^\w*$/);
    const again = await runCli(['adapt', data, '--out', out, '--epochs', '1']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists.*--force/);
    const forced = await runCli(['adapt', data, '--out', out, '--epochs', '1', '--force', '--quiet', '--no-rehearsal']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toBe('');
    expect(forced.stdout).toMatch(/adapted on 54 images, validated/);
  });
});
