/**
 * The collect folder (src/collect): layout, dedupe, the lock, readCollection, and several child processes appending
 * to one folder at once (no torn, lost or duplicated rows).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COLLECT_DEFAULTS, LABELS_HEADER, collectSample, isCollectError, readCollection, sampleFileName } from '../../src/collect/index.js';
import { runProcess } from '../support/process.js';
import { useTempDir } from '../support/e2e.js';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
/** Bytes that sniff as a PNG, distinct per `tag`. */
const png = (tag: string) => Buffer.concat([PNG_MAGIC, Buffer.from(tag)]);
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
const rows = (dir: string) => readFileSync(join(dir, 'labels.tsv'), 'utf8').split('\n');

describe('collect folder', () => {
  const tmp = useTempDir('ics-collect-');
  let n = 0;
  const fresh = () => join(tmp.path, `case-${++n}`);

  it('writes <sha1>.<ext> and one labels.tsv row under the header', async () => {
    const dir = fresh();
    const bytes = png('a');
    const r = await collectSample(dir, bytes, 'x7K2p');
    expect(r).toEqual({ file: `${sha1(bytes)}.png`, text: 'x7K2p', status: 'added' });
    expect(readFileSync(join(dir, r.file)).equals(bytes)).toBe(true);
    expect(rows(dir)).toEqual([LABELS_HEADER, `${r.file}\tx7K2p`, '']);
    expect(sampleFileName(Buffer.concat([JPEG_MAGIC, Buffer.from('j')]))).toMatch(/^[0-9a-f]{40}\.jpg$/);
    expect(sampleFileName(Buffer.from('no image'))).toMatch(/\.bin$/);
  });

  it('writes the same bytes once, whatever the second answer', async () => {
    const dir = fresh();
    await collectSample(dir, png('b'), 'first');
    const again = await collectSample(dir, png('b'), 'second');
    expect(again.status).toBe('duplicate');
    expect(rows(dir).filter((l) => l.startsWith(sha1(png('b'))))).toEqual([`${sha1(png('b'))}.png\tfirst`]);
    expect(readdirSync(dir).sort()).toEqual([`${sha1(png('b'))}.png`, 'labels.tsv']);
  });

  it('appends many rows from one process concurrently, each exactly once, no temp or lock files left', async () => {
    const dir = fresh();
    const texts = Array.from({ length: 30 }, (_, i) => `t${i}`);
    await Promise.all([...texts, ...texts].map((t) => collectSample(dir, png(t), t)));
    const got = (await readCollection(dir)).map((e) => e.text).sort();
    expect(got).toEqual([...texts].sort());
    expect(rows(dir).length).toBe(texts.length + 2);
    expect(readdirSync(dir).filter((f) => /\.(tmp|lock)$/.test(f))).toEqual([]);
  });

  it('keeps rows of several processes writing one folder at once: none torn, lost or doubled', async () => {
    const dir = fresh();
    const shared = Array.from({ length: 10 }, (_, i) => ({ body: png(`shared-${i}`).toString('base64'), text: `s${i}` }));
    const own = (p: number) => Array.from({ length: 10 }, (_, i) => ({ body: png(`p${p}-${i}`).toString('base64'), text: `p${p}x${i}` }));
    const worker = resolve(__dirname, '../support/collect-worker.ts');
    const tsx = resolve(__dirname, '../../node_modules/.bin/tsx');
    const runs = await Promise.all(
      [0, 1, 2, 3].map((p) => runProcess(tsx, [worker, dir, JSON.stringify([...shared, ...own(p)])], { env: { ...process.env }, timeoutMs: 60_000 })),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const statuses = runs.flatMap((r) => JSON.parse(r.stdout) as string[]);
    expect(statuses.filter((s) => s === 'added').length).toBe(10 + 40);
    const lines = rows(dir);
    expect(lines[0]).toBe(LABELS_HEADER);
    expect(lines.at(-1)).toBe('');
    const body = lines.slice(1, -1);
    expect(body.length).toBe(50);
    for (const line of body) expect(line).toMatch(/^[0-9a-f]{40}\.png\t(s\d|p\dx\d)$/);
    expect(new Set(body.map((l) => l.split('\t')[0])).size).toBe(50);
    for (const e of await readCollection(dir)) expect(`${sha1(readFileSync(e.path))}.png`).toBe(e.file);
  }, 90_000);

  it('breaks a stale lock left by a crashed writer, and waits for a live one', async () => {
    const dir = fresh();
    mkdirSync(dir);
    const lock = join(dir, 'labels.tsv.lock');
    writeFileSync(lock, 'crashed');
    const old = (Date.now() - COLLECT_DEFAULTS.staleLockMs - 1000) / 1000;
    utimesSync(lock, old, old);
    expect((await collectSample(dir, png('stale'), 'ok')).status).toBe('added');
    writeFileSync(lock, 'alive');
    const err = await collectSample(dir, png('busy'), 'no', { lockTimeout: 150 }).catch((e: unknown) => e);
    expect(isCollectError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'ICS_ERR_COLLECT', dir });
    expect((err as Error).message).toMatch(/cannot lock labels\.tsv.*stayed busy/);
    expect(rows(dir).some((l) => l.endsWith('\tno'))).toBe(false);
  });

  it('fails with a typed error when the folder cannot be created, or the answer cannot be a row', async () => {
    const file = join(tmp.path, 'a-file');
    writeFileSync(file, 'x');
    const err = await collectSample(join(file, 'sub'), png('c'), 'abc').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'CollectError', code: 'ICS_ERR_COLLECT', retryable: false });
    expect((err as Error).message).toMatch(/collect: cannot write .*ENOTDIR\)\. Point `collect` at a folder/);
    await expect(collectSample(fresh(), png('d'), 'a\tb')).rejects.toThrow(/tab or line break/);
    await expect(collectSample(fresh(), Buffer.alloc(0), 'abc')).rejects.toThrow(/empty/);
  });

  it('readCollection: rows of a hand-labelled folder, first row of a file wins; clear errors otherwise', async () => {
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(join(dir, 'labels.tsv'), `${LABELS_HEADER}\r\na.png\tAB12\r\n\r\nimg/b.jpg\tcd34\na.png\tlater\n`);
    expect(await readCollection(dir)).toEqual([
      { file: 'a.png', text: 'AB12', path: join(dir, 'a.png') },
      { file: 'img/b.jpg', text: 'cd34', path: join(dir, 'img/b.jpg') },
    ]);
    writeFileSync(join(dir, 'labels.tsv'), `${LABELS_HEADER}\nok.png\tfine\nbroken-row\n`);
    await expect(readCollection(dir)).rejects.toThrow(/line 3 has 0 tabs/);
    writeFileSync(join(dir, 'labels.tsv'), `../escape.png\tx\n`);
    await expect(readCollection(dir)).rejects.toThrow(/line 1 names a file outside the folder/);
    await expect(readCollection(fresh())).rejects.toMatchObject({ code: 'ICS_ERR_COLLECT', message: expect.stringMatching(/cannot read labels\.tsv .*ENOENT/) });
  });
});
