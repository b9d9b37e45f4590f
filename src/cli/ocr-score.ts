/**
 * Scoring `image-captcha ocr` against labels: exact-match accuracy and character error rate per folder, both
 * case-insensitive (most captcha labels are typed in one case whatever the glyphs show).
 */

/** Levenshtein distance over Unicode code points. */
export function editDistance(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1), prev[j]! + 1, cur[j - 1]! + 1);
    prev = cur;
  }
  return prev[y.length]!;
}

/** One folder's running score. */
export interface FolderScore {
  folder: string;
  images: number;
  correct: number;
  /** Edit distance summed over the images, and label characters summed: CER = distance / characters. */
  distance: number;
  characters: number;
}

/** Adds up readings per folder; an image that could not be read counts as an empty answer. */
export class Scoreboard {
  private readonly folders = new Map<string, FolderScore>();

  /** Scores `text` against `label`; returns whether it is right (case-insensitive). */
  add(folder: string, label: string, text: string): boolean {
    const s = this.folders.get(folder) ?? { folder, images: 0, correct: 0, distance: 0, characters: 0 };
    this.folders.set(folder, s);
    const right = text.toLowerCase() === label.toLowerCase();
    s.images++;
    if (right) s.correct++;
    s.distance += editDistance(text.toLowerCase(), label.toLowerCase());
    s.characters += Array.from(label).length;
    return right;
  }

  get scores(): FolderScore[] {
    return [...this.folders.values()];
  }

  /** A table for stderr: one line per folder with accuracy and CER; empty when nothing had a label. */
  table(): string {
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    return this.scores
      .map((s) => `${s.folder}: ${s.images} labelled images, exact ${s.correct}/${s.images} = ${pct(s.correct / s.images)}, CER ${s.characters ? pct(s.distance / s.characters) : '-'} (case-insensitive)\n`)
      .join('');
  }
}
