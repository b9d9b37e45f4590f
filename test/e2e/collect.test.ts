/**
 * `collect` end to end in real Chromium over BOTH adapters: the flow keeps only captures the page accepted, each
 * exactly once (`<sha1>.<ext>` + one labels.tsv row), also with several pages solving into one folder at once; an
 * unwritable folder never fails a solve. The folder layout itself (and several processes) is test/unit/collect.test.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFixtureSolver } from '../../fixtures/site/index.js';
import { readCollection } from '../../src/collect/index.js';
import { attachImageRecorder, solveImageCaptcha, type ProgressEvent } from '../../src/flow/index.js';
import { WrongAnswerError } from '../../src/core/errors.js';
import { ADAPTERS, type HarnessPage } from '../support/browsers.js';
import { closeAfterEach, useFixtureBrowser, useTempDir } from '../support/e2e.js';

const EXT: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp' };
const bytesOf = (base64: string) => Buffer.from(base64, 'base64');
/** The name collect must give these bytes: sha1 + the extension of their MIME type (computed here, not by the code under test). */
const nameOf = (bytes: Buffer, mime: string) => `${createHash('sha1').update(bytes).digest('hex')}.${EXT[mime]}`;
const mimeOf = (bytes: Buffer) => (bytes[0] === 0x89 ? 'image/png' : bytes[0] === 0xff ? 'image/jpeg' : bytes[0] === 0x47 ? 'image/gif' : 'image/webp');

for (const adapter of ADAPTERS) {
  describe(`collect over ${adapter}`, () => {
    const env = useFixtureBrowser(adapter);
    const tmp = useTempDir(`ics-collect-${adapter}-`);
    const track = closeAfterEach<HarnessPage>();
    let n = 0;
    const folder = () => join(tmp.path, `run-${++n}`);

    async function open(path = '/login'): Promise<HarnessPage> {
      const hp = track(await env.browser.newPage());
      attachImageRecorder(hp.page);
      await hp.goto(`${env.server.url}${path}`);
      return hp;
    }

    it('writes the accepted capture exactly once and never the rejected one', async () => {
      env.server.reset();
      const dir = folder();
      const solver = createFixtureSolver(env.server, { wrongFirst: 1 });
      const steps: ProgressEvent[] = [];
      const hp = await open();
      const r = await solveImageCaptcha(hp.page, { solver, collect: dir, onProgress: (e) => steps.push(e) });
      expect(r).toMatchObject({ verified: true, attempts: 2 });
      const [wrong, right] = solver.calls.map((t) => bytesOf(t.body));
      const accepted = env.server.stats().submissions.filter((s) => s.ok);
      expect(accepted.length).toBe(1);
      const file = nameOf(right!, r.capture.mime);
      expect(r.collected).toEqual({ dir, status: 'added', file, text: r.text });
      expect(r.text.toLowerCase()).toBe(accepted[0]!.given.toLowerCase());
      expect(readFileSync(join(dir, 'labels.tsv'), 'utf8')).toBe(`file\ttext\n${file}\t${r.text}\n`);
      expect(readFileSync(join(dir, file)).equals(right!)).toBe(true);
      expect(existsSync(join(dir, nameOf(wrong!, mimeOf(wrong!))))).toBe(false);
      expect(readdirSync(dir).sort()).toEqual([file, 'labels.tsv'].sort());
      expect(steps.filter((s) => s.step === 'collect').map((s) => s.detail)).toEqual([`added ${file}`]);
    }, 60_000);

    it('writes nothing for answers the page rejected or did not confirm', async () => {
      env.server.reset();
      const dir = folder();
      const err = await solveImageCaptcha((await open()).page, { solver: createFixtureSolver(env.server, { wrongFirst: 5 }), collect: dir, retries: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WrongAnswerError);
      const unverified = await solveImageCaptcha((await open()).page, { solver: createFixtureSolver(env.server), collect: dir, verify: false });
      expect(unverified).toMatchObject({ solved: true, verified: false, collected: { dir, status: 'skipped' } });
      expect(existsSync(dir)).toBe(false);
    }, 60_000);

    it('several pages solving into one folder at once: one row per accepted capture, each file its bytes', async () => {
      env.server.reset();
      const dir = folder();
      const solver = createFixtureSolver(env.server);
      const pages = await Promise.all(['/login', '/login', '/demo', '/data-url'].map((p) => open(p)));
      const results = await Promise.all(pages.map((hp) => solveImageCaptcha(hp.page, { solver, collect: dir })));
      expect(results.map((r) => r.collected?.status)).toEqual(['added', 'added', 'added', 'added']);
      const rows = await readCollection(dir);
      expect(rows.map((e) => e.file).sort()).toEqual(results.map((r) => r.collected!.file).sort());
      expect(readFileSync(join(dir, 'labels.tsv'), 'utf8').split('\n').length).toBe(1 + 4 + 1);
      const given = env.server.stats().submissions.filter((s) => s.ok).map((s) => s.given.toLowerCase());
      for (const row of rows) {
        const bytes = readFileSync(row.path);
        expect(row.file).toBe(nameOf(bytes, mimeOf(bytes)));
        expect(env.server.answerFor(bytes)?.toLowerCase()).toBe(row.text.toLowerCase()); // the site's own answer for these bytes
        expect(given).toContain(row.text.toLowerCase());
      }
    }, 90_000);

    it('a folder it cannot write: the solve still succeeds and result.collected says why', async () => {
      env.server.reset();
      const blocker = join(tmp.path, `a-file-${n++}`);
      writeFileSync(blocker, 'not a folder');
      const r = await solveImageCaptcha((await open()).page, { solver: createFixtureSolver(env.server), collect: join(blocker, 'shop') });
      expect(r.verified).toBe(true);
      expect(r.collected).toMatchObject({ status: 'failed', error: { name: 'CollectError', code: 'ICS_ERR_COLLECT' } });
      expect(r.collected!.reason).toMatch(/ENOTDIR/);
    }, 60_000);
  });
}
