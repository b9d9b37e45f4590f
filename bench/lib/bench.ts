/**
 * The OCR benchmark behind `npm run bench:ocr` (bench/ocr.mjs): our model vs ddddocr, per dataset.
 * Prints numbers, asserts nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { easyCaptchaGif } from '../../fixtures/site/generators.js';
import { createRng, type Rng } from '../../fixtures/site/rng.js';
import { issueStyle } from '../../fixtures/site/styles.js';
import { LocalSolver } from '../../src/solvers/offline/index.js';
import { limitSamples, listDatasets, type Dataset, type Sample } from './datasets.js';
import { prepareDdddocr } from './ddddocr.js';
import { evaluate } from './evaluate.js';
import { evaluateBatched } from './batched.js';
import { paired, summarize, wilson, type Prediction, type Summary } from './metrics.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = join(REPO, 'bench', '.cache');

export interface BenchArgs {
  limit: number;
  only?: string;
  model: string;
  /** Another of our models to compare `model` with, image by image (`--baseline`). */
  baseline?: string;
  /** The arithmetic model ours (and base) run beside the text model (`--math-model`); the shipped one by default. */
  mathModel?: string;
  ddddocr: boolean;
  threads: number;
  dev: string;
  holdoutN: number;
  regenHoldout: boolean;
  lengthHint: boolean;
  /** Run our models' float weights, not the int8 copies their sidecars name (`--float`). */
  float: boolean;
}

const USAGE = `Usage: npm run bench:ocr -- [--limit N] [--only NAME] [--model PATH] [--baseline PATH] [--math-model PATH] [--no-ddddocr] [--no-length-hint] [--float] [--threads N] [--regen-holdout]
  --limit N        images per dataset (default: all)
  --only NAME      only datasets whose name contains NAME (e.g. captcha_images_v2, holdout/)
  --model PATH     our model (default: models/captcha-ocr.onnx)
  --baseline PATH  another of our models ("base"), compared with --model image by image (McNemar's exact test)
  --math-model PATH the arithmetic model ours and base run (default: models/captcha-math.onnx)
  --no-ddddocr     skip the ddddocr baseline
  --no-length-hint skip the rows "+len" (each model again, told the dataset's answer length range)
  --float          run our models (ours, base) in float, not their int8 copies (the sidecar's "int8")
  --threads N      onnxruntime intra-op threads (default: 1)
  --regen-holdout  rebuild bench/.cache/holdout with training/make_holdout.py, and bench/.cache/page
Env: CAPTCHA_DEV_DATA = validation data dir (default: ../shared/data/dev from the repo root)`;

export function parseArgs(argv: readonly string[]): BenchArgs {
  const a: BenchArgs = {
    limit: 0,
    model: join(REPO, 'models', 'captcha-ocr.onnx'),
    ddddocr: true,
    threads: 1,
    dev: process.env.CAPTCHA_DEV_DATA ? resolve(process.env.CAPTCHA_DEV_DATA) : resolve(REPO, '..', 'shared', 'data', 'dev'),
    holdoutN: 300,
    regenHoldout: false,
    lengthHint: true,
    float: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value\n${USAGE}`);
      return x;
    };
    if (k === '--limit') a.limit = Number(v());
    else if (k === '--only') a.only = v();
    else if (k === '--model') a.model = resolve(v());
    else if (k === '--baseline') a.baseline = resolve(v());
    else if (k === '--math-model') a.mathModel = resolve(v());
    else if (k === '--no-ddddocr') a.ddddocr = false;
    else if (k === '--no-length-hint') a.lengthHint = false;
    else if (k === '--float') a.float = true;
    else if (k === '--threads') a.threads = Number(v());
    else if (k === '--holdout-n') a.holdoutN = Number(v());
    else if (k === '--regen-holdout') a.regenHoldout = true;
    else if (k === '--help' || k === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${k}\n${USAGE}`);
  }
  if (!Number.isInteger(a.limit) || a.limit < 0) throw new Error('--limit must be a non-negative integer');
  return a;
}

function holdoutSets(args: BenchArgs, notes: string[]): Dataset[] {
  const script = join(REPO, 'training', 'make_holdout.py');
  const out = join(CACHE, 'holdout');
  if (args.regenHoldout || !existsSync(out)) {
    if (!existsSync(script)) {
      notes.push('held-out synthetic families skipped: training/make_holdout.py is not there yet');
      return [];
    }
    try {
      execFileSync('/usr/bin/python3', [script, '--out', out, '--n', String(args.holdoutN), '--seed', '1'], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      notes.push(`held-out synthetic families skipped: make_holdout.py failed (${String((e as { stderr?: Buffer }).stderr ?? e).trim().split('\n').pop()})`);
      return [];
    }
  }
  return listDatasets(out, 'holdout/');
}

/**
 * Captcha styles of the fixture site, drawn as the site draws them (`page/`), `holdoutN` images each at seed 1:
 * EasyCaptcha's animated GIF (read through the still the solver makes of its frames) and RuoYi's arithmetic captcha
 * (labelled with its value: the answer the site wants), which the models never trained on; svg-captcha's math mode
 * ("7-3", no "="), whose generator the math model trained on (other draws), read by our models as a user who passes
 * `math: true` would ({@link ARITHMETIC_SETS}). Kept out of the mean over datasets.
 */
async function pageStyleSets(args: BenchArgs): Promise<Dataset[]> {
  const root = join(CACHE, 'page');
  const styles: Record<string, (rng: Rng) => Promise<{ label: string; bytes: Buffer; ext: string }>> = {
    'easycaptcha-gif': async (rng) => {
      const label = rng.text(5, '23456789ABCDEFGHJKMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz');
      return { label, bytes: (await easyCaptchaGif(label, rng.fork())).bytes, ext: 'gif' };
    },
    'ruoyi-math': async (rng) => {
      const out = await issueStyle('ruoyi-math', rng);
      return { label: out.answer, bytes: out.image!.bytes, ext: 'jpg' };
    },
    'svg-math': async (rng) => {
      const out = await issueStyle('svg-math', rng);
      return { label: out.answer, bytes: out.image!.bytes, ext: 'png' };
    },
  };
  for (const [name, draw] of Object.entries(styles)) {
    const dir = join(root, name);
    if (!args.regenHoldout && existsSync(join(dir, 'labels.tsv'))) continue;
    mkdirSync(dir, { recursive: true });
    const rng = createRng(1);
    const lines = ['file\tlabel'];
    for (let i = 0; i < args.holdoutN; i++) {
      const { label, bytes, ext } = await draw(rng);
      const file = `${String(i).padStart(4, '0')}.${ext}`;
      writeFileSync(join(dir, file), bytes);
      lines.push(`${file}\t${label}`);
    }
    writeFileSync(join(dir, 'labels.tsv'), `${lines.join('\n')}\n`);
  }
  return listDatasets(root, 'page/');
}

/** Sets whose captchas are known to be arithmetic: our models read them with `arithmetic: true` (`task.math`). */
const ARITHMETIC_SETS = new Set(['page/svg-math']);
/**
 * Sets labelled with the expression the captcha shows ("12+20") whose answer is its value: our models (which answer
 * arithmetic with its value, untold here) are scored on the value, ddddocr (which has no arithmetic) on the expression.
 */
const SUM_SETS = new Set(['dev/cryptowin_math']);
export const isSumSet = (name: string): boolean => SUM_SETS.has(name) || SUM_SETS.has(`dev/${name}`);
/** ddddocr's set_ranges(6): digits and Latin letters. */
const DDDDOCR_RANGE = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** `samples` labelled with the value of their expression (sums and differences of whole numbers). */
export function valueLabels(samples: readonly Sample[]): Sample[] {
  return samples.map((s) => {
    const terms = s.label.match(/[+-]?\d+/g) ?? [];
    return { ...s, label: String(terms.reduce((acc, t) => acc + Number(t), 0)) };
  });
}

const pct = (x: number) => (Number.isNaN(x) ? '   -  ' : `${(x * 100).toFixed(1).padStart(5)}%`);
const num = (x: number, d = 1) => (Number.isNaN(x) ? '-' : x.toFixed(d));

export async function main(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  const notes: string[] = [];
  let datasets = [...listDatasets(args.dev, 'dev/'), ...holdoutSets(args, notes), ...(await pageStyleSets(args))];
  if (!existsSync(args.dev)) notes.push(`validation data not found at ${args.dev} (set CAPTCHA_DEV_DATA)`);
  if (args.only) datasets = datasets.filter((d) => d.name.includes(args.only!));
  const models: { name: string; path: string; solver: LocalSolver; hinted?: boolean; ranged?: boolean; batched?: boolean }[] = [];
  const math = { ...(args.mathModel ? { math: args.mathModel } : {}), int8: !args.float };
  if (existsSync(args.model)) {
    const ours = new LocalSolver({ model: args.model, threads: args.threads, ...math });
    models.push({ name: 'ours', path: args.model, solver: ours });
    notes.push(`ours (and base) also run the arithmetic model ${args.mathModel ?? 'models/captcha-math.onnx'}, as LocalSolver does by default: an arithmetic captcha is answered with its value; ddddocr runs alone`);
    notes.push(`ours runs ${relative(REPO, await ours.loadedFile())}${args.float ? ' (--float)' : ''}`);
    const look = (await ours.load()).secondLook;
    if (look) {
      // the same model reading each image once, to show what the second look adds (and costs)
      models.push({ name: 'ours-1look', path: args.model, solver: new LocalSolver({ model: args.model, threads: args.threads, secondLook: false, ...math }) });
      const views = [...look.widthScales.map((s) => `x${s}`), ...(look.crops ?? []).map((c) => `x${c.widthScale} cropped ${c.crop}`), ...(look.views ?? []).map((v) => `x${v.widthScale}${v.crop ? ` cropped ${v.crop}` : ''} ${v.filter}`)];
      notes.push(`ours reads again (${views.join(', ')}) when its confidence is below ${look.below} and keeps the ${look.combine === 'sum' ? 'text with the most summed confidence' : 'most confident reading'} (the sidecar's secondLook); ours-1look reads once`);
    }
  } else notes.push(`our model is missing (${args.model}): only the baseline runs`);
  if (args.baseline) {
    if (!existsSync(args.baseline)) throw new Error(`--baseline ${args.baseline}: no such file`);
    models.push({ name: 'base', path: args.baseline, solver: new LocalSolver({ model: args.baseline, threads: args.threads, ...math }) });
  }
  if (args.ddddocr) {
    for (const [name, file] of [['ddddocr', 'common_old'], ['ddddocr-beta', 'common']] as const) {
      try {
        const path = prepareDdddocr(join(CACHE), file);
        // ddddocr alone: our math model (on by default in LocalSolver) would otherwise answer its arithmetic captchas
        models.push({ name, path, solver: new LocalSolver({ model: path, threads: args.threads, math: false }), ranged: true });
      } catch (e) {
        notes.push(`${name} skipped: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
      }
    }
    notes.push(`ddddocr (common_old.onnx, its default) and ddddocr-beta (common.onnx, its beta=True) read "ranged", as ddddocr's set_ranges(6) does: only ${DDDDOCR_RANGE.length} characters (0-9 a-z A-Z; and "+" on ${[...SUM_SETS].join(', ')})`);
  }
  if (args.lengthHint) {
    for (const m of [...models]) if (m.name !== 'ours-1look') models.push({ ...m, name: `${m.name}+len`, hinted: true });
    notes.push('+len: the same model told the answer length range of the dataset (minLength/maxLength = the shortest and longest label), as a user who knows the site\'s format would');
  }
  const ours = models.find((m) => m.name === 'ours');
  if (ours) {
    // the same solver over the same images, 8 at a time through recognizeMany (ms = a batch's wall time / 8)
    models.push({ ...ours, name: 'ours-batch8', batched: true });
    notes.push('ours-batch8: ours reading 8 images at a time (recognizeMany; readings of one input size share a model run), ms per image = the batch\'s wall time / 8');
  }
  const told = datasets.filter((d) => ARITHMETIC_SETS.has(d.name)).map((d) => d.name);
  if (told.length) notes.push(`${told.join(', ')}: our models are told the captchas are arithmetic (recognize's \`arithmetic: true\`, a task's \`math: true\`), as a user who knows the site would be; ddddocr is not (it has no math model)`);
  console.log(`# OCR benchmark  (node ${process.version}, threads=${args.threads}, limit=${args.limit || 'all'})`);
  for (const m of models.filter((x) => !x.hinted)) {
    const size = statSync(realpathSync(m.path)).size;
    console.log(`model ${m.name.padEnd(8)} ${(size / 1024 / 1024).toFixed(2)} MB  ${m.path}`);
    await m.solver.load(); // session creation is not timed
  }
  for (const n of notes) console.log(`note: ${n}`);
  console.log('');
  console.log('| dataset | n | model | exact (case-insens.) | 95% interval | exact (case-sens.) | CER | median ms | p95 ms | conf. AUC | score 0.8: right kept / wrong caught |');
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const totals = new Map<string, Summary[]>();
  const devTotals = new Map<string, Map<string, number>>(); // model -> real dev set -> accuracy
  const comparisons: string[] = [];
  const pooled = { sets: 0, ours: [] as Prediction[], base: [] as Prediction[] }; // the held-out families together
  const compareRow = (name: string, ours: Prediction[], base: Prediction[]) => {
    const c = paired(ours, base);
    const net = c.onlyA - c.onlyB;
    comparisons.push(`| ${name} | ${c.n} | ${c.onlyA} | ${c.onlyB} | ${net >= 0 ? '+' : ''}${net} | ${c.p < 0.001 ? '<0.001' : c.p.toFixed(3)} |`);
  };
  for (const ds of datasets) {
    const samples = limitSamples(ds.samples, args.limit);
    const lengths = ds.samples.map((x) => Array.from(x.label).length);
    const hint = { minLength: Math.min(...lengths), maxLength: Math.max(...lengths) };
    const predictions = new Map<string, Prediction[]>();
    for (const m of models) {
      // ddddocr has no math model to be told about arithmetic; the +len rows' hint is the value's length
      const arithmetic = ARITHMETIC_SETS.has(ds.name) && !m.ranged ? { arithmetic: true } : {};
      const charset = m.ranged ? { charset: SUM_SETS.has(ds.name) ? '0123456789+' : DDDDOCR_RANGE } : {};
      const told = { ...(m.hinted ? hint : {}), ...arithmetic, ...charset };
      const recognizer = Object.keys(told).length ? { recognize: (image: Buffer) => m.solver.recognize(image, told) } : m.solver;
      const scored = SUM_SETS.has(ds.name) && !m.ranged ? valueLabels(samples) : samples;
      // warm-up image, not timed
      await evaluate(recognizer, ds, scored.slice(0, 1));
      const preds = m.batched ? await evaluateBatched(m.solver, ds, scored, told) : await evaluate(recognizer, ds, scored);
      predictions.set(m.name, preds);
      const s = summarize(preds);
      if (!ds.name.startsWith('page/')) totals.set(m.name, [...(totals.get(m.name) ?? []), s]);
      if (ds.name.startsWith('dev/')) devTotals.set(m.name, new Map([...(devTotals.get(m.name) ?? []), [ds.name, s.accuracy]]));
      const [lo, hi] = wilson(Math.round(s.accuracy * s.n), s.n);
      console.log(`| ${ds.name} | ${s.n} | ${m.name} | ${pct(s.accuracy)} | ${pct(lo).trim()}–${pct(hi).trim()} | ${pct(s.accuracyCase)} | ${num(s.cer, 3)} | ${num(s.medianMs)} | ${num(s.p95Ms)} | ${num(s.confidenceAuc, 3)} | ${pct(s.at80.rightKept).trim()} / ${pct(s.at80.wrongCaught).trim()} |${s.errors ? ` ${s.errors} errors` : ''}`);
    }
    const ours = predictions.get('ours');
    const base = predictions.get('base');
    if (ours && base) {
      compareRow(ds.name, ours, base);
      if (ds.name.startsWith('holdout/')) {
        pooled.sets++;
        pooled.ours.push(...ours);
        pooled.base.push(...base);
      }
    }
  }
  if (pooled.sets > 1) compareRow('holdout/ (all families)', pooled.ours, pooled.base);
  for (const [name, list] of totals) {
    const mean = list.reduce((acc, s) => acc + s.accuracy, 0) / list.length;
    console.log(`\n${name}: mean case-insensitive exact match over ${list.length} datasets (dev/ and holdout/) = ${pct(mean).trim()}`);
  }
  printDevSummary(devTotals);
  if (comparisons.length) {
    console.log('\nours against base, image by image (case-insensitive exact match; p: McNemar\'s exact test, the chance of a split at least this uneven between two equally good models):\n');
    console.log('| dataset | n | only ours right | only base right | net | p |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const line of comparisons) console.log(line);
  }
  console.log('\n95% interval: Wilson score interval of the case-insensitive exact match.');
  console.log('conf. AUC = P(confidence of a right answer > that of a wrong one), answers compared case-sensitively; median/p95 = ms per image (decode + resize + inference + CTC), one image at a time.');
  for (const m of models) if (!m.hinted) await m.solver.close();
}

/**
 * The real dev sets alone: each model's unweighted mean, and ours against the best ddddocr configuration (the one
 * with the highest mean): the mean's margin and every set where ours is more than 3 points behind it.
 */
function printDevSummary(devTotals: Map<string, Map<string, number>>): void {
  if (devTotals.size === 0) return;
  const mean = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0) / m.size;
  console.log('');
  for (const [name, sets] of devTotals) console.log(`${name}: mean case-insensitive exact match over the ${sets.size} real dev sets = ${pct(mean(sets)).trim()}`);
  const ours = devTotals.get('ours');
  const rivals = [...devTotals].filter(([name]) => name === 'ddddocr' || name === 'ddddocr-beta');
  if (!ours || rivals.length === 0) return;
  const [bestName, best] = rivals.reduce((a, b) => (mean(b[1]) > mean(a[1]) ? b : a));
  const behind = [...ours].filter(([set, acc]) => best.has(set) && acc < best.get(set)! - 0.03).map(([set, acc]) => `${set} ${pct(acc).trim()} vs ${pct(best.get(set)!).trim()}`);
  console.log(`ours against the best ddddocr (${bestName}): mean ${((mean(ours) - mean(best)) * 100).toFixed(1)} points; sets more than 3 points behind: ${behind.length ? behind.join(', ') : 'none'}`);
}
