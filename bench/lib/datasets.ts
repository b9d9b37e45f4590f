/**
 * Labelled image folders: PNGs (or other images) plus `labels.tsv` (`file<TAB>label`, header line first).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface Sample {
  file: string;
  label: string;
}

export interface Dataset {
  name: string;
  dir: string;
  samples: Sample[];
}

/** Parses labels.tsv text: skips the header and blank lines; throws on a line without a tab. */
export function parseLabels(text: string, where = 'labels.tsv'): Sample[] {
  const lines = text.split(/\r?\n/);
  const out: Sample[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const tab = line.indexOf('\t');
    if (tab <= 0) throw new Error(`${where}:${i + 1}: expected "file<TAB>label", got ${JSON.stringify(line.slice(0, 60))}`);
    out.push({ file: line.slice(0, tab), label: line.slice(tab + 1) });
  }
  return out;
}

/** Loads one folder holding labels.tsv. */
export function loadDataset(dir: string, name = dir.split(/[\\/]/).filter(Boolean).pop() ?? dir): Dataset {
  const file = join(dir, 'labels.tsv');
  return { name, dir, samples: parseLabels(readFileSync(file, 'utf8'), file) };
}

/** Every sub-folder of `root` that holds a labels.tsv, sorted by name (none when root is missing). */
export function listDatasets(root: string, prefix = ''): Dataset[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => statSync(join(root, d)).isDirectory() && existsSync(join(root, d, 'labels.tsv')))
    .sort()
    .map((d) => loadDataset(join(root, d), `${prefix}${d}`));
}

/** The first `limit` samples (all when limit is 0 or undefined). Deterministic. */
export function limitSamples(samples: readonly Sample[], limit?: number): Sample[] {
  return limit && limit > 0 ? samples.slice(0, limit) : samples.slice();
}
