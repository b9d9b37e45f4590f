/**
 * What `image-captcha ocr` reads: its arguments expanded into image files, each with the label a `labels.tsv`
 * beside it gives (when there is one). An argument is a file, a folder (its images, sorted by name), or `-`
 * (paths on stdin, one a line). Paths never stay on the command line of a child process: bulk input can come
 * from a folder or stdin, however many files.
 */
import { access, readFile, readdir, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UsageError } from './common.js';

/** File name extensions read from a folder (a file named on the command line is read whatever its name). */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp', '.bmp', '.svg', '.tif', '.tiff', '.avif']);

export const LABELS_FILE = 'labels.tsv';

export interface OcrInput {
  /** The path as given (or joined to its folder). */
  file: string;
  /** The folder it was scored under (its directory). */
  folder: string;
  /** Its text from `labels.tsv` in its folder, when the folder has one that lists it. */
  label?: string;
}

/** Expands `args` (files, folders, `-`) into the images to read, in order; `readStdin` gives stdin's text. */
export async function ocrInputs(args: readonly string[], readStdin: () => Promise<string>): Promise<OcrInput[]> {
  const files: string[] = [];
  for (const arg of args) {
    if (arg === '-') files.push(...pathsFrom(await readStdin()));
    else if (await isFolder(arg)) files.push(...(await imagesIn(arg)));
    else files.push(arg);
  }
  await Promise.all(files.map(checkReadable));
  const labels = new Map<string, Promise<Map<string, string> | undefined>>();
  return Promise.all(
    files.map(async (file) => {
      const folder = dirname(file);
      if (!labels.has(folder)) labels.set(folder, readLabels(folder));
      const label = (await labels.get(folder))?.get(basename(file));
      return { file, folder, ...(label === undefined ? {} : { label }) };
    }),
  );
}

/** The non-empty lines of stdin, trimmed. */
function pathsFrom(text: string): string[] {
  return text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
}

async function isFolder(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

async function imagesIn(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase())).sort();
  if (names.length === 0) throw new UsageError(`no images in ${dir} (looked for ${[...IMAGE_EXTENSIONS].join(' ')})`);
  return names.map((name) => join(dir, name));
}

async function checkReadable(file: string): Promise<void> {
  try {
    await access(file, constants.R_OK);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * `folder/labels.tsv` as file name → text: a header line first (`file<TAB>label` or `file<TAB>text`), then one
 * `file<TAB>text` row per image; undefined when the folder has none. A malformed row is a usage error naming it.
 */
export async function readLabels(folder: string): Promise<Map<string, string> | undefined> {
  const path = join(folder, LABELS_FILE);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const out = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (i === 0 || line.trim() === '') return;
    const tab = line.indexOf('\t');
    if (tab <= 0) throw new UsageError(`${resolve(path)}:${i + 1}: expected "file<TAB>text", got ${JSON.stringify(line.slice(0, 60))}`);
    if (!out.has(line.slice(0, tab))) out.set(line.slice(0, tab), line.slice(tab + 1));
  });
  return out;
}
