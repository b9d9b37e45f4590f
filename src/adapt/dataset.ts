/**
 * The labelled images `adaptModel` learns from: a folder (`labels.tsv`: `file<TAB>text` rows under a header line,
 * the images beside it, as `collect` writes it) or a list in memory; checked before any training starts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelSpec } from '../solvers/offline/model.js';
import { decodeToRgba, flattenToGray, type GrayImage } from '../solvers/offline/preprocess.js';
import { charsetClasses } from '../solvers/offline/script.js';
import { AdaptError } from './errors.js';

/** One labelled captcha: its bytes (any format LocalSolver reads) and the accepted answer. */
export interface LabelledImage {
  /** A name for messages (the file name for a folder). */
  name: string;
  image: Uint8Array;
  text: string;
}

/** A decoded labelled image. */
export interface GraySample {
  name: string;
  gray: GrayImage;
  text: string;
  /** The encoded image, as given. */
  image: Uint8Array;
}

/** Fewer labelled images than this are refused. */
export const MIN_IMAGES = 50;

const LIST_LIMIT = 8;
const listed = (names: readonly string[]): string => names.slice(0, LIST_LIMIT).join(', ') + (names.length > LIST_LIMIT ? ` and ${names.length - LIST_LIMIT} more` : '');

/** Rows of labels.tsv text: the header (a first line starting `file<TAB>`) and blank lines skipped. */
export function parseLabelsTsv(text: string, where: string): { file: string; text: string }[] {
  const lines = text.split(/\r?\n/);
  const rows: { file: string; text: string }[] = [];
  const bad: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '' || (i === 0 && /^file\t/i.test(line))) return;
    const tab = line.indexOf('\t');
    const label = tab > 0 ? line.slice(tab + 1).trim() : '';
    if (tab <= 0 || label === '') bad.push(`line ${i + 1}`);
    else rows.push({ file: line.slice(0, tab), text: label });
  });
  if (bad.length > 0) {
    throw new AdaptError(`adaptModel: ${where} has rows without "file<TAB>text": ${listed(bad)}`, { reason: 'bad-labels', files: bad, hint: 'Each row is an image file name, a tab, and the answer' });
  }
  return rows;
}

/** Reads a folder holding labels.tsv and its images; files that cannot be read are refused by name. */
export async function readLabelledFolder(dir: string): Promise<LabelledImage[]> {
  const tsv = join(dir, 'labels.tsv');
  let text: string;
  try {
    text = await readFile(tsv, 'utf8');
  } catch (cause) {
    throw new AdaptError(`adaptModel: cannot read ${tsv}`, { reason: 'bad-labels', files: [tsv], cause, hint: 'Point it at a folder written by `collect`, or one with labels.tsv (file<TAB>text) and the images' });
  }
  const rows = parseLabelsTsv(text, tsv);
  const missing: string[] = [];
  const out: LabelledImage[] = [];
  for (const row of rows) {
    try {
      out.push({ name: row.file, image: await readFile(join(dir, row.file)), text: row.text });
    } catch {
      missing.push(row.file);
    }
  }
  if (missing.length > 0) throw unreadable(missing, dir);
  return out;
}

function unreadable(files: string[], where: string): AdaptError {
  return new AdaptError(`adaptModel: ${files.length} image(s) cannot be read (${where}): ${listed(files)}`, {
    reason: 'unreadable-images',
    files,
    hint: 'Remove their rows from labels.tsv or replace the files',
  });
}

/**
 * The model's class for each character of a label: the character's own, or, for a Cyrillic letter drawn like a Latin
 * one (`с`, `р`, `н`…), the class the model reads it from (see script.ts); undefined for a character it cannot output.
 */
export function labelClasses(text: string, spec: Pick<ModelSpec, 'classes' | 'blank'>): (number | undefined)[] {
  const index = new Map(spec.classes.map((c, i) => [c, i] as const).filter(([, i]) => i !== spec.blank));
  return Array.from(text, (c) => index.get(c) ?? index.get(charsetClasses(c)));
}

/** The characters of the labels that the model cannot output (no class of its own, no look-alike), sorted. */
export function unknownCharacters(items: readonly Pick<LabelledImage, 'text'>[], spec: Pick<ModelSpec, 'classes' | 'blank'>): string[] {
  const known = (c: string) => labelClasses(c, spec)[0] !== undefined;
  return [...new Set(items.flatMap((it) => Array.from(it.text)))].filter((c) => !known(c)).sort();
}

/** Most characters `newCharacters` may add: a site's few symbols, not a new alphabet. */
export const MAX_NEW_CHARACTERS = 16;

/**
 * Refuses too few images, and labels with characters the model cannot output unless `newCharacters` (then at most
 * {@link MAX_NEW_CHARACTERS} of them, printable, not a space). Returns the characters to add (none by default).
 */
export function checkLabels(items: readonly LabelledImage[], spec: ModelSpec, newCharacters = false): string[] {
  if (items.length < MIN_IMAGES) {
    throw new AdaptError(`adaptModel: ${items.length} labelled image(s) is too few to learn from (at least ${MIN_IMAGES})`, { reason: 'too-few-images', hint: 'Collect more verified captures (a few hundred is best)' });
  }
  const unknown = unknownCharacters(items, spec);
  if (unknown.length === 0) return [];
  const unfit = unknown.filter((c) => /\s|\p{C}/u.test(c));
  if (newCharacters && unfit.length === 0 && unknown.length <= MAX_NEW_CHARACTERS) return unknown;
  const files = items.filter((it) => Array.from(it.text).some((c) => unknown.includes(c))).map((it) => it.name);
  const why = !newCharacters ? '' : unfit.length > 0 ? ' (spaces and control characters cannot be learned)' : ` (more than ${MAX_NEW_CHARACTERS} to learn)`;
  throw new AdaptError(`adaptModel: labels use character(s) the model cannot output: ${unknown.map((c) => JSON.stringify(c)).join(' ')}${why} (in ${listed(files)})`, {
    reason: 'unknown-characters',
    characters: unknown,
    files,
    hint: newCharacters ? 'Fix those labels' : 'Fix those labels, or let the model learn them as new characters (`newCharacters: true`, `--new-chars`)',
  });
}

/** Decodes every image to gray; refuses the lot, naming each, when any cannot be decoded. */
export async function decodeAll(items: readonly LabelledImage[], where: string): Promise<GraySample[]> {
  const out: GraySample[] = [];
  const bad: string[] = [];
  for (const it of items) {
    try {
      const rgba = await decodeToRgba(it.image);
      if (rgba.width < 1 || rgba.height < 1) throw new Error('no pixels');
      out.push({ name: it.name, gray: flattenToGray(rgba), text: it.text, image: it.image });
    } catch {
      bad.push(it.name);
    }
  }
  if (bad.length > 0) throw unreadable(bad, where);
  return out;
}

/** A seeded shuffle split: `share` of the samples (at least one) held out for validation. */
export function splitValidation<T>(items: readonly T[], share: number, seed = 1): { train: T[]; val: T[] } {
  const order = items.map((_, i) => i);
  let s = seed >>> 0 || 1;
  for (let i = order.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nVal = Math.max(1, Math.round(items.length * share));
  return { val: order.slice(0, nVal).map((i) => items[i]!), train: order.slice(nVal).map((i) => items[i]!) };
}
