/**
 * The `collect` folder: verified captures with their accepted answers, the layout `image-captcha adapt` reads.
 *
 *   dir/<sha1 of the bytes>.<ext>   the exact bytes sent to the solver (ext from the sniffed format)
 *   dir/labels.tsv                  `file<TAB>text` rows under a `file\ttext` header, one per image
 *
 * Safe when many pages and many processes write one folder: the image is written to a temp file and renamed into
 * place (content-addressed, so a second writer renames identical bytes over it); the row is appended with one
 * O_APPEND write of the whole line, under a lock file (O_EXCL, stale after `staleLockMs`) held while checking that
 * the file has no row yet. Imports only core (the flow and `adapt` both use it).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import { sniffImageFormat } from '../core/image.js';
import { CollectError } from './errors.js';
import { acquireLock } from './lock.js';

export { CollectError, isCollectError } from './errors.js';

/** The labels file inside a collect folder. */
export const LABELS_FILE = 'labels.tsv';
/** Its first line. */
export const LABELS_HEADER = 'file\ttext';

export const COLLECT_DEFAULTS = {
  /** How long a writer waits for the labels lock, in ms. */
  lockTimeout: 5000,
  /** A lock file older than this belongs to a crashed writer and is broken, in ms. */
  staleLockMs: 10_000,
} as const;

export interface CollectOptions {
  /** @default 5000 */
  lockTimeout?: number;
  /** @default 10_000 */
  staleLockMs?: number;
}

/** What {@link collectSample} did. */
export interface CollectedSample {
  /** The image's name inside the folder: `<sha1>.<ext>`. */
  file: string;
  /** The label written (or already there). */
  text: string;
  /** `added`: a new row; `duplicate`: these bytes already had a row, nothing was appended. */
  status: 'added' | 'duplicate';
}

/** One labelled image of a folder, as {@link readCollection} returns it. */
export interface CollectionEntry {
  /** The name in labels.tsv, relative to the folder. */
  file: string;
  text: string;
  /** The absolute path of the image. */
  path: string;
}

/** `<sha1 of bytes>.<ext>`, ext from the sniffed format (`jpg` for JPEG, `bin` when unknown). */
export function sampleFileName(bytes: Uint8Array): string {
  const format = sniffImageFormat(bytes);
  const ext = format === 'jpeg' ? 'jpg' : (format ?? 'bin');
  return `${createHash('sha1').update(bytes).digest('hex')}.${ext}`;
}

function collectError(dir: string, what: string, cause?: unknown): CollectError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  return new CollectError(`collect: ${what} (${dir}${errno ? `, ${errno}` : ''})`, {
    dir,
    cause,
    hint: 'Point `collect` at a folder this process can create and write, or leave `collect` out',
  });
}

/**
 * Writes one verified capture and its accepted answer into `dir` (created when missing), exactly once per distinct
 * image: the same bytes again leave the folder as it was (`status: 'duplicate'`). Throws {@link CollectError}.
 */
export async function collectSample(dir: string, bytes: Uint8Array, text: string, options: CollectOptions = {}): Promise<CollectedSample> {
  if (bytes.length === 0) throw collectError(dir, 'the image is empty');
  if (!text || /[\t\r\n]/.test(text)) throw collectError(dir, `the answer ${JSON.stringify(text)} cannot be a labels.tsv row (empty, or holds a tab or line break)`);
  const file = sampleFileName(bytes);
  try {
    await mkdir(dir, { recursive: true });
    await writeImage(join(dir, file), bytes);
  } catch (error) {
    throw collectError(dir, `cannot write ${file}`, error);
  }
  return { file, text, status: await appendRow(dir, file, text, options) };
}

/** Writes the image unless a file of that (content-addressed) name and size is there: temp file, then rename. */
async function writeImage(path: string, bytes: Uint8Array): Promise<void> {
  const size = await stat(path).then((s) => s.size, () => -1);
  if (size === bytes.length) return;
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

/** Under the lock: appends `file<TAB>text` (after the header when the file is new) unless `file` has a row. */
async function appendRow(dir: string, file: string, text: string, options: CollectOptions): Promise<CollectedSample['status']> {
  const labels = join(dir, LABELS_FILE);
  let release: () => Promise<void>;
  try {
    release = await acquireLock(`${labels}.lock`, {
      timeoutMs: options.lockTimeout ?? COLLECT_DEFAULTS.lockTimeout,
      staleMs: options.staleLockMs ?? COLLECT_DEFAULTS.staleLockMs,
    });
  } catch (error) {
    throw collectError(dir, `cannot lock ${LABELS_FILE}: ${(error as Error).message}`, error);
  }
  try {
    const current = await readFile(labels, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    if (current.split(/\r?\n/).some((line) => line.startsWith(`${file}\t`))) return 'duplicate';
    const lead = current === '' ? `${LABELS_HEADER}\n` : current.endsWith('\n') ? '' : '\n';
    // one write of the whole line with O_APPEND: readers never see half a row
    await writeFile(labels, `${lead}${file}\t${text}\n`, { flag: 'a' });
    return 'added';
  } catch (error) {
    throw collectError(dir, `cannot update ${LABELS_FILE}`, error);
  } finally {
    await release();
  }
}

/**
 * The labelled images of a collect folder (or a hand-labelled one in the same layout): the rows of
 * `dir/labels.tsv`, header and blank lines skipped, the first row of a file kept. Checks the rows, not the images
 * (read them from `path`). Throws {@link CollectError} when labels.tsv is missing or a row is malformed (its line
 * number in the message).
 */
export async function readCollection(dir: string): Promise<CollectionEntry[]> {
  const root = resolve(dir);
  const text = await readFile(join(root, LABELS_FILE), 'utf8').catch((error: unknown) => {
    throw new CollectError(`readCollection: cannot read ${LABELS_FILE} in ${root} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      dir: root,
      cause: error,
      hint: `A collect folder holds the images and a ${LABELS_FILE} with a "file<TAB>text" header and one "file<TAB>text" row per image`,
    });
  });
  const seen = new Set<string>();
  const out: CollectionEntry[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || (i === 0 && line.trim().toLowerCase() === LABELS_HEADER)) return;
    const entry = parseRow(root, line, i + 1);
    if (seen.has(entry.file)) return;
    seen.add(entry.file);
    out.push(entry);
  });
  return out;
}

function parseRow(root: string, line: string, lineNo: number): CollectionEntry {
  const cells = line.split('\t');
  const [file = '', text = ''] = cells;
  const bad = (why: string) =>
    new CollectError(`readCollection: ${LABELS_FILE} line ${lineNo} ${why}: ${JSON.stringify(line.slice(0, 80))} (${root})`, {
      dir: root,
      hint: 'Each row is the image file name (relative to the folder), one tab, and its text',
    });
  if (cells.length !== 2) throw bad(`has ${cells.length - 1} tabs, not 1`);
  if (!file.trim() || !text.trim()) throw bad('has an empty file name or text');
  if (isAbsolute(file) || normalize(file).split(/[\\/]/).includes('..')) throw bad('names a file outside the folder');
  return { file, text, path: join(root, file) };
}
