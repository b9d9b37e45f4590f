/**
 * `image-captcha adapt DIR --out OUT [--epochs N] [--val 0.1] [--rehearsal DIR | --no-rehearsal] [--force]`: fine-tunes the offline model on a
 * folder of labelled captchas (what `collect` writes) and writes a model folder `--model` accepts. Progress on
 * stderr (a redrawn bar on a terminal, plain lines otherwise); the summary on stdout.
 */
import { parseArgs } from 'node:util';
import { adaptModel, isAdaptError, type AdaptProgress, type AdaptResult } from '../adapt/index.js';

export const ADAPT_HELP = `Usage: image-captcha adapt <dir> --out <folder> [options]

Fine-tunes the built-in offline model on <dir>: labels.tsv (file<TAB>text, header line "file\\ttext") and the
images beside it, as \`collect\` writes them (any format the solver reads). Holds out a share for validation,
prints the validation accuracy before and after, and writes <folder>/captcha-ocr.onnx + captcha-ocr.json,
which --model (ocr, solve, serve) and new LocalSolver({ model: <folder> }) accept. CPU only, no network.

Options:
  --out <folder>   where to write the adapted model (required; refused if it exists, unless --force)
  --epochs <n>     most passes over the images (default 40; stops early when validation stops improving)
  --val <share>    share of the images held out for validation, 0.05–0.5 (default 0.1)
  --base <model>   the model to start from, an .onnx file or a model folder (default: the built-in model)
  --layers <n>     how many of the head's last convolutions to train besides its linear layer (default 3, all
                   of the shipped model's; fewer can forget less of the other styles)
  --rehearsal <d>  generated captchas of other styles (labels.tsv + images) mixed into training so the model keeps
                   reading them (default: the pack shipped with the models)
  --no-rehearsal   train on <dir> only (reads other styles much worse afterwards)
  --new-chars      learn label characters the model cannot output (a "+" in sums, a site's symbol; up to 16) as
                   new classes instead of refusing them; a reading that is a sum is answered with its value
  --force          overwrite the model files in an existing --out
  --quiet          no progress on stderr
  -h, --help       this help
`;

interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Thrown for bad command-line usage; the CLI prints it and exits with 2. */
export class AdaptUsageError extends Error {
  override name = 'UsageError';
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** One progress line: `[######----] epoch 3/40  loss 0.412  val 86.7% (best 90.0%)  1m20s left`. */
export function progressLine(e: AdaptProgress): string {
  if (e.phase === 'features') return `reading images ${e.done}/${e.total}`;
  if (e.phase === 'write') return `writing ${e.out}`;
  const width = 20;
  const filled = Math.round((e.epoch / e.epochs) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] epoch ${e.epoch}/${e.epochs}  loss ${e.loss.toFixed(3)}  val ${pct(e.val.accuracy)} (best ${pct(e.best.accuracy)})  ${duration(e.etaMs)} left`;
}

function printer(io: Io, tty: boolean, quiet: boolean): { progress: (e: AdaptProgress) => void; end: () => void } {
  let open = false;
  return {
    progress: (e) => {
      if (quiet) return;
      if (tty) {
        io.stderr(`\r\x1b[2K${progressLine(e)}`);
        open = true;
      } else if (e.phase !== 'features' || e.done === e.total) io.stderr(`${progressLine(e)}\n`);
    },
    end: () => {
      if (open) io.stderr('\n');
      open = false;
    },
  };
}

function summary(r: AdaptResult): string {
  return [
    `adapted on ${r.trainImages} images${r.rehearsalImages ? ` (with ${r.rehearsalImages} rehearsal images of other styles)` : ''}, validated on ${r.valImages} (${r.epochs} epochs, ${duration(r.elapsedMs)})`,
    ...(r.newCharacters.length > 0 ? [`learned new characters: ${r.newCharacters.join(' ')}`] : []),
    `validation accuracy before: ${pct(r.before.accuracy)} (ignoring case ${pct(r.before.accuracyIgnoreCase)})`,
    `validation accuracy after:  ${pct(r.after.accuracy)} (ignoring case ${pct(r.after.accuracyIgnoreCase)})`,
    `second look (reading unsure images again): ${r.secondLook ? 'kept, it read more validation images right' : 'off, it read no more validation images right'}`,
    `int8 copy (about twice as fast): ${r.int8 ? 'written, it reads the validation images as well as the float model' : 'none (see adaptedFrom.int8 in the sidecar)'}`,
    `wrote ${r.out} (use it with --model ${r.out})`,
    '',
  ].join('\n');
}

function options(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { out: { type: 'string' }, epochs: { type: 'string' }, val: { type: 'string' }, base: { type: 'string' }, layers: { type: 'string' }, rehearsal: { type: 'string' }, 'no-rehearsal': { type: 'boolean' }, 'new-chars': { type: 'boolean' }, force: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    throw new AdaptUsageError((error as Error).message);
  }
}

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new AdaptUsageError(`--${name} must be a number (got "${value}")`);
  return n;
}

/** Runs `adapt`; resolves with the exit code (0 ok, 2 usage or refused input, 1 other failures). */
export async function cmdAdapt(args: string[], io: Io, signal: AbortSignal, tty: boolean): Promise<number> {
  const { values, positionals } = options(args);
  if (values.help) {
    io.stdout(ADAPT_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new AdaptUsageError('adapt needs one folder of labelled images (labels.tsv + images)');
  if (!values.out) throw new AdaptUsageError('adapt needs --out <folder> for the adapted model');
  const epochs = numberOption(values.epochs, 'epochs');
  const val = numberOption(values.val, 'val');
  const trainLayers = numberOption(values.layers, 'layers');
  if (values.rehearsal !== undefined && values['no-rehearsal']) throw new AdaptUsageError('--rehearsal and --no-rehearsal cannot be used together');
  const rehearsal = values['no-rehearsal'] ? false : values.rehearsal;
  const print = printer(io, tty, values.quiet === true);
  try {
    const result = await adaptModel({
      data: positionals[0]!,
      out: values.out,
      ...(epochs === undefined ? {} : { epochs }),
      ...(val === undefined ? {} : { val }),
      ...(trainLayers === undefined ? {} : { trainLayers }),
      ...(values.base ? { base: values.base } : {}),
      ...(rehearsal === undefined ? {} : { rehearsal }),
      newCharacters: values['new-chars'] === true,
      force: values.force === true,
      onProgress: print.progress,
      signal,
    });
    print.end();
    io.stdout(summary(result));
    return 0;
  } catch (error) {
    print.end();
    if (!isAdaptError(error)) throw error;
    io.stderr(`image-captcha adapt: ${error.message}\n`);
    return 2;
  }
}
