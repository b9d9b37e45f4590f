/**
 * How `image-captcha ocr` prints: answers one a line (default), one JSON array (`--json`) or one JSON object a
 * line (`--jsonl`, streamed as images are read), and a progress line on stderr when it is a terminal.
 */
import type { AnimationInfo } from '../core/animation.js';
import type { Io } from './common.js';

/** One image's line of output: its reading, or why it could not be read. */
export type OcrRow =
  | { file: string; text: string; confidence: number; elapsedMs: number; expression?: string; animation?: AnimationInfo; label?: string; correct?: boolean }
  | { file: string; error: { name: string; message: string } };

export type OcrFormat = 'text' | 'json' | 'jsonl';

export interface RowPrinter {
  row(row: OcrRow): void;
  end(): void;
}

/** Prints rows in `format`; a row with an error prints nothing on stdout in the text format (stderr says why). */
export function rowPrinter(io: Io, format: OcrFormat): RowPrinter {
  const all: OcrRow[] = [];
  return {
    row(row) {
      if (format === 'jsonl') io.stdout(`${JSON.stringify(row)}\n`);
      else if (format === 'json') all.push(row);
      else if ('text' in row) io.stdout(`${row.text}\n`);
      if ('error' in row) io.stderr(`image-captcha: ${row.file}: ${row.error.message}\n`);
    },
    end() {
      if (format === 'json') io.stdout(`${JSON.stringify(all, null, 2)}\n`);
    },
  };
}

/** `ocr: 1200/5000 images, 240/s` rewritten in place on a terminal, at most 10 times a second; nothing elsewhere. */
export class ProgressLine {
  private done = 0;
  private last = 0;
  private readonly started = Date.now();

  constructor(
    private readonly io: Io,
    private readonly total: number,
    private readonly enabled: boolean,
  ) {}

  tick(): void {
    this.done++;
    const now = Date.now();
    if (!this.enabled || (now - this.last < 100 && this.done < this.total)) return;
    this.last = now;
    const rate = this.done / Math.max(0.001, (now - this.started) / 1000);
    this.io.stderr(`\r\x1b[Kocr: ${this.done}/${this.total} images, ${rate.toFixed(0)}/s`);
  }

  /** Clears the line (before output to the same terminal, and at the end); the next tick draws it again. */
  clear(): void {
    if (this.enabled && this.last > 0) this.io.stderr('\r\x1b[K');
  }
}
