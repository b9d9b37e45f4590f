/**
 * `image-captcha ocr`: reads captcha images with the offline model, many at a time (their readings share model
 * runs through `LocalSolver.recognizeMany`), and prints one answer per image in input order. With labels
 * (`labels.tsv` beside the images) it also prints exact-match accuracy and CER per folder, like a benchmark.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isInvalidImageError } from '../core/errors.js';
import type { LocalSolver, RecognizeManyOptions, RecognizeResult } from '../solvers/offline/local-solver.js';
import { EXIT, UsageError, lengthOption, parse, type Io } from './common.js';
import { ocrInputs, type OcrInput } from './ocr-inputs.js';
import { ProgressLine, rowPrinter, type OcrFormat, type OcrRow, type RowPrinter } from './ocr-output.js';
import { Scoreboard } from './ocr-score.js';

export const OCR_HELP = `Usage: image-captcha ocr <files | folders | -> [options]

Reads each image with the built-in offline model and prints one answer per line, in input order. A folder
reads its images (sorted by name); "-" reads paths from stdin, one a line (for more files than a command
line holds: find captchas -name '*.png' | image-captcha ocr -). When a labels.tsv (a header line, then
file<TAB>text rows) sits beside the images, accuracy and CER per folder go to stderr at the end.

Options:
  --json          print one JSON array: [{ file, text, confidence, elapsedMs, expression?, animation?, label?,
                  correct? }] (expression: the sum an arithmetic captcha shows, text being its value;
                  animation: how an animated GIF/WebP's frames became the still that was read; label and
                  correct: from labels.tsv). An image that cannot be read is { file, error: { name, message } }
  --jsonl         the same objects, one per line, printed as each image is read
  --lowercase     case-insensitive reading: lowercase answers (A and a count as one when scoring)
  --charset <s>   read only these characters, e.g. --charset 0123456789 for digits-only captchas
  --length <n>    the answers have n characters (or --length 4-6): the most probable reading of that length
  --math          the images are arithmetic ("12 - 4"): print the value of any expression read (sums ending in
                  =? or = get their value without it); an image where none is read prints its text reading
  --model <p>     a different ONNX model (its .json sidecar beside it)
  --float         run the float model, not its int8 copy (about twice as slow; readings nearly always the same)
  --batch <n>     most images per model run (default 8; 1 = one image per run)
  --quiet         no progress line (it is only drawn when stderr is a terminal)
  -h, --help      this help

An image that cannot be read (not an image, too large) is reported on stderr and the others go on; the exit
code is then 1.
`;

/** Images read into memory and handed to the model at once: bounds memory, keeps output streaming. */
const CHUNK = 256;

export interface OcrEnv {
  /** stdin's whole text, for `-`. */
  readStdin: () => Promise<string>;
  /** Draw the progress line (stderr is a terminal). */
  tty: boolean;
}

export async function cmdOcr(args: string[], io: Io, signal: AbortSignal, env: OcrEnv): Promise<number> {
  const { values, positionals } = parse(args, {
    json: { type: 'boolean' },
    jsonl: { type: 'boolean' },
    lowercase: { type: 'boolean' },
    charset: { type: 'string' },
    length: { type: 'string' },
    math: { type: 'boolean' },
    model: { type: 'string' },
    float: { type: 'boolean' },
    batch: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(OCR_HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError('ocr needs at least one image file, folder, or - (paths on stdin)');
  if (values.json && values.jsonl) throw new UsageError('--json and --jsonl are two formats: pick one');
  const read: RecognizeManyOptions = {
    signal,
    caseSensitive: !values.lowercase,
    ...(values.charset === undefined ? {} : { charset: String(values.charset) }),
    ...lengthOption(values.length),
    ...(values.math ? { arithmetic: true } : {}),
  };
  const batch = batchOption(values.batch);
  const inputs = await ocrInputs(positionals, env.readStdin);
  if (inputs.length === 0) throw new UsageError('ocr got no image paths (stdin was empty)');
  const { LocalSolver } = await import('../solvers/offline/local-solver.js');
  const solver = new LocalSolver({ ...(values.model ? { model: resolve(String(values.model)) } : {}), ...(batch ? { batch } : {}), ...(values.float ? { int8: false } : {}) });
  const format: OcrFormat = values.json ? 'json' : values.jsonl ? 'jsonl' : 'text';
  try {
    return await readAll(solver, inputs, read, { io, printer: rowPrinter(io, format), progress: new ProgressLine(io, inputs.length, env.tty && !values.quiet) });
  } finally {
    await solver.close().catch(() => {});
  }
}

function batchOption(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--batch must be a whole number from 1 to 64 (got "${String(value)}")`);
  return n;
}

interface Out {
  io: Io;
  printer: RowPrinter;
  progress: ProgressLine;
}

/** Reads the inputs a chunk at a time, prints each row in order, then the scores; exit 1 when an image failed. */
async function readAll(solver: LocalSolver, inputs: OcrInput[], read: RecognizeManyOptions, out: Out): Promise<number> {
  const scores = new Scoreboard();
  let failed = 0;
  for (let start = 0; start < inputs.length; start += CHUNK) {
    const chunk = inputs.slice(start, start + CHUNK);
    const images = await Promise.all(chunk.map((input) => readFile(input.file)));
    const results = await solver.recognizeMany(images, { ...read, onResult: () => out.progress.tick() });
    out.progress.clear();
    results.forEach((result, i) => {
      const row = toRow(chunk[i]!, result, scores);
      if ('error' in row) failed++;
      out.printer.row(row);
    });
  }
  out.progress.clear();
  out.printer.end();
  out.io.stderr(scores.table());
  return failed > 0 ? EXIT.failed : EXIT.ok;
}

/** One image's row; an error other than a bad image (a bad option, a missing model) stops the command. */
function toRow(input: OcrInput, result: PromiseSettledResult<RecognizeResult>, scores: Scoreboard): OcrRow {
  if (result.status === 'rejected') {
    const error = result.reason as Error;
    if (!isInvalidImageError(error)) throw error;
    if (input.label !== undefined) scores.add(input.folder, input.label, '');
    return { file: input.file, error: { name: error.name, message: error.message } };
  }
  const r = result.value;
  const labelled = input.label === undefined ? {} : { label: input.label, correct: scores.add(input.folder, input.label, r.text) };
  return { file: input.file, text: r.text, confidence: r.confidence, elapsedMs: r.elapsedMs, ...(r.expression ? { expression: r.expression } : {}), ...(r.animation ? { animation: r.animation } : {}), ...labelled };
}
