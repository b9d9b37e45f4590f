/**
 * Issue 29: `image-captcha ocr` on bulk input, run as users run it (`node dist/cli.js`, after `npm run build`).
 * - 5,000 paths on the command line: onnxruntime 1.29-1.30's telemetry ran a std::regex over /proc/self/cmdline
 *   and overflowed the stack (SIGSEGV, exit 139) once argv passed ~30 KB; the CLI must read them all.
 * - a folder and `-` (paths on stdin) of 5,000 files, piped into `head -3`: three answers, exit 0, no EPIPE stack.
 * - labels.tsv beside the images: accuracy and CER per folder on stderr; --jsonl rows carry label and correct.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTempDir } from '../support/e2e.js';
import { runProcess } from '../support/process.js';

const root = resolve(__dirname, '../..');
const cli = join(root, 'dist', 'cli.js');
const TESTDATA = join(root, 'training', 'testdata');
const VECTORS = (JSON.parse(readFileSync(join(TESTDATA, 'vectors.json'), 'utf8')) as { vectors: { file: string; text: string }[] }).vectors;
const N = 5000;
// the environment a user has: telemetry not turned off by hand (the CLI must do it)
const env = { ...process.env, ORT_DISABLE_TELEMETRY: undefined };

const work = useTempDir('ics-ocr-bulk-');
let folder = '';
let paths: string[] = [];

beforeAll(() => {
  expect(existsSync(cli), 'dist/cli.js (run npm run build)').toBe(true);
  folder = join(work.path, 'captchas');
  mkdirSync(folder);
  // N links to the three test vectors: vector (i % 3) + 1 at img-<i>.png
  paths = Array.from({ length: N }, (_, i) => join(folder, `img-${String(i).padStart(4, '0')}.png`));
  paths.forEach((p, i) => symlinkSync(join(TESTDATA, VECTORS[i % 3]!.file), p));
});

/** `cli args | head -3` in bash, with stdin from `stdin`: the CLI's exit code, what head printed, the CLI's stderr. */
async function intoHead(args: string[], stdin = '/dev/null') {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `node ${cli} ocr ${quoted} < ${stdin} 2> ${join(work.path, 'stderr.txt')} | head -3; echo "exit=\${PIPESTATUS[0]}"`;
  const r = await runProcess('bash', ['-c', script], { env, timeoutMs: 200_000 });
  return { code: Number(/exit=(\d+)/.exec(r.stdout)?.[1]), lines: r.stdout.split('\n').slice(0, 3), stderr: readFileSync(join(work.path, 'stderr.txt'), 'utf8') };
}

describe('issue 29: image-captcha ocr on bulk input', () => {
  it(`reads ${N} paths given on the command line (a shell glob) without crashing`, { timeout: 300_000 }, async () => {
    const argvBytes = paths.reduce((n, p) => n + p.length + 1, 0);
    expect(argvBytes).toBeGreaterThan(30_000);
    const r = await runProcess(process.execPath, [cli, 'ocr', '--quiet', ...paths], { env, timeoutMs: 290_000 });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const lines = r.stdout.split('\n').slice(0, -1);
    expect(lines).toHaveLength(N);
    expect(lines.slice(0, 6)).toEqual([0, 1, 2, 0, 1, 2].map((i) => VECTORS[i]!.text));
  });

  it('a folder of 5000 images piped into head -3: three answers, exit 0, nothing on stderr', { timeout: 300_000 }, async () => {
    const r = await intoHead([folder]);
    expect(r).toEqual({ code: 0, lines: [0, 1, 2].map((i) => VECTORS[i]!.text), stderr: '' });
  });

  it('paths on stdin (-) with --jsonl piped into head -3: three JSON rows, exit 0', { timeout: 300_000 }, async () => {
    const list = join(work.path, 'paths.txt');
    writeFileSync(list, `${paths.join('\n')}\n`);
    const r = await intoHead(['--jsonl', '-'], list);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.lines.map((l) => (JSON.parse(l) as { file: string; text: string }).text)).toEqual([0, 1, 2].map((i) => VECTORS[i]!.text));
  });

  it('labels.tsv beside the images: accuracy and CER per folder on stderr, label and correct in --jsonl', { timeout: 120_000 }, async () => {
    const dir = join(work.path, 'labelled');
    mkdirSync(dir);
    VECTORS.forEach((v) => symlinkSync(join(TESTDATA, v.file), join(dir, v.file)));
    // the third label is wrong on purpose: 2 of 3 right; CER = its edit distance / all label characters
    const labels = VECTORS.map((v, i) => [v.file, i === 2 ? `${v.text}X` : v.text] as const);
    writeFileSync(join(dir, 'labels.tsv'), `file\tlabel\n${labels.map((l) => l.join('\t')).join('\n')}\n`);
    const r = await runProcess(process.execPath, [cli, 'ocr', '--jsonl', dir], { env, timeoutMs: 110_000 });
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { label: string; correct: boolean });
    expect(rows.map((x) => [x.label, x.correct])).toEqual(labels.map(([, label], i) => [label, i !== 2]));
    const chars = labels.reduce((n, [, l]) => n + l.length, 0);
    expect(r.stderr).toContain(`${dir}: 3 labelled images, exact 2/3 = 66.7%, CER ${((100 * 1) / chars).toFixed(1)}%`);
  });

  it('usage: an empty folder, an empty stdin, and --json with --jsonl exit 2 with a message', { timeout: 60_000 }, async () => {
    const empty = join(work.path, 'empty');
    mkdirSync(empty);
    for (const [args, message] of [[[empty], /no images in/], [['-'], /no image paths \(stdin was empty\)/], [['--json', '--jsonl', folder], /pick one/]] as const) {
      const r = await runProcess(process.execPath, [cli, 'ocr', ...args], { env, timeoutMs: 50_000 });
      expect([r.code, r.stderr, r.stdout], args.join(' ')).toEqual([2, expect.stringMatching(message), '']);
    }
  });
});
