/**
 * The adaptation benchmark behind `npm run bench:adapt` (bench/adapt.mjs): for each real dev set, adapt the shipped
 * model on its first 300 images (the first half of a set with fewer than 600) into a temporary folder, read the rest
 * with the base and the adapted model, and read the other sets with both (does the base knowledge collapse?).
 * Nothing trained is kept: the temporary folder is deleted. Prints a markdown table; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { adaptModel, isAdaptError, type AdaptResult } from '../../src/adapt/index.js';
import { LocalSolver } from '../../src/solvers/offline/index.js';
import { isSumSet, REPO, valueLabels } from './bench.js';
import { listDatasets, type Dataset, type Sample } from './datasets.js';
import { evaluate } from './evaluate.js';
import { summarize, type Summary } from './metrics.js';

interface Args {
  dev: string;
  only?: string;
  epochs?: number;
  train: number;
  otherLimit: number;
  trainLayers?: number;
  /** Learn label characters the base cannot spell (`+` in the sums) instead of refusing the set. */
  newCharacters: boolean;
}

const USAGE = `Usage: npm run bench:adapt -- [--only NAME] [--epochs N] [--train N] [--other-limit N] [--layers N] [--no-new-chars]
  --only NAME        only adapt on sets whose name contains NAME (the others are still read as "other sets")
  --epochs N         most epochs (default: adaptModel's)
  --train N          images to adapt on (default 300; the first half of sets under 2N)
  --other-limit N    images per other set read by each adapted model (default 200)
  --layers N         head convolutions trained (default: adaptModel's)
  --no-new-chars     refuse sets whose labels have characters the model cannot spell (default: learn them, as
                     \`adapt --new-chars\` does; the sum set is then read as sums, scored on their value)
Env: CAPTCHA_DEV_DATA = validation data dir (default: ../shared/data/dev from the repo root)`;

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { dev: process.env.CAPTCHA_DEV_DATA ? resolve(process.env.CAPTCHA_DEV_DATA) : resolve(REPO, '..', 'shared', 'data', 'dev'), train: 300, otherLimit: 200, newCharacters: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = () => Number(argv[++i] ?? Number.NaN);
    if (k === '--only') a.only = argv[++i];
    else if (k === '--epochs') a.epochs = v();
    else if (k === '--train') a.train = v();
    else if (k === '--other-limit') a.otherLimit = v();
    else if (k === '--layers') a.trainLayers = v();
    else if (k === '--no-new-chars') a.newCharacters = false;
    else if (k === '--help' || k === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${k}\n${USAGE}`);
  }
  return a;
}

/** The images adapted on and the images read after. */
export function splitForAdapt(samples: readonly Sample[], train: number): { learn: Sample[]; read: Sample[] } {
  const n = samples.length >= 2 * train ? train : Math.floor(samples.length / 2);
  return { learn: samples.slice(0, n), read: samples.slice(n) };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const both = (s: Summary) => `${pct(s.accuracy)} (${pct(s.accuracyCase)})`;

/** A set's images read by `model` (the shipped one when undefined); a sum set scored on the value of its labels. */
async function read(model: string | undefined, set: Dataset, samples: readonly Sample[]): Promise<Summary> {
  const solver = new LocalSolver(model ? { model } : {});
  try {
    return summarize(await evaluate(solver, set, isSumSet(set.name) ? valueLabels(samples) : samples));
  } finally {
    await solver.close();
  }
}

interface Row {
  set: string;
  learn: number;
  read: number;
  base: Summary;
  adapted?: Summary;
  result?: AdaptResult;
  refused?: string;
  others?: { base: number; adapted: number };
  /** CPU time of the adaptation (user + system, all threads): the wall time grows when other work shares the cores. */
  cpuMs?: number;
}

async function adaptOne(set: Dataset, args: Args, tmp: string, baseOthers: Map<string, Summary>, sets: Dataset[]): Promise<Row> {
  const { learn, read: rest } = splitForAdapt(set.samples, args.train);
  const base = await read(undefined, set, rest);
  const row: Row = { set: set.name, learn: learn.length, read: rest.length, base };
  const data = await Promise.all(learn.map(async (s) => ({ name: s.file, image: await readFile(join(set.dir, s.file)), text: s.label })));
  const out = join(tmp, set.name);
  const cpu0 = process.cpuUsage();
  try {
    row.result = await adaptModel({ data, out, newCharacters: args.newCharacters, ...(args.epochs ? { epochs: args.epochs } : {}), ...(args.trainLayers ? { trainLayers: args.trainLayers } : {}), onProgress: (e) => {
      if (e.phase === 'train') process.stderr.write(`  ${set.name} epoch ${e.epoch}/${e.epochs} loss ${e.loss.toFixed(3)} val ${pct(e.val.accuracy)} ${(e.elapsedMs / 1000).toFixed(0)}s\n`);
    } });
  } catch (e) {
    if (!isAdaptError(e)) throw e;
    row.refused = `${e.reason}: ${e.characters.join(' ')}`;
    return row;
  }
  const cpu = process.cpuUsage(cpu0);
  row.cpuMs = (cpu.user + cpu.system) / 1000;
  row.adapted = await read(out, set, rest);
  let b = 0, a = 0, n = 0;
  for (const other of sets.filter((s) => s !== set)) {
    const some = other.samples.slice(0, args.otherLimit);
    const adapted = await read(out, other, some);
    a += adapted.accuracy * adapted.n;
    b += baseOthers.get(other.name)!.accuracy * adapted.n;
    n += adapted.n;
  }
  row.others = { base: b / n, adapted: a / n };
  rmSync(out, { recursive: true, force: true });
  return row;
}

function printRow(r: Row): void {
  if (r.refused) {
    console.log(`| ${r.set} | ${r.learn} / ${r.read} | ${both(r.base)} | refused (${r.refused}) | | | |`);
    return;
  }
  const res = r.result!;
  console.log(`| ${r.set} | ${r.learn} / ${r.read} | ${both(r.base)} | **${both(r.adapted!)}** | ${(res.elapsedMs / 1000).toFixed(0)} s wall, ${((r.cpuMs ?? 0) / 1000).toFixed(0)} s CPU (${res.epochs} epochs) | ${r.adapted!.medianMs.toFixed(1)} (base ${r.base.medianMs.toFixed(1)}) | ${pct(r.others!.base)} → ${pct(r.others!.adapted)} |`);
}

export async function main(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  const sets = listDatasets(args.dev);
  if (sets.length === 0) throw new Error(`no dev sets under ${args.dev} (set CAPTCHA_DEV_DATA)`);
  const tmp = mkdtempSync(join(tmpdir(), 'bench-adapt-'));
  try {
    const baseOthers = new Map<string, Summary>();
    for (const s of sets) baseOthers.set(s.name, await read(undefined, s, s.samples.slice(0, args.otherLimit)));
    console.log('| set | adapt on / read | base: case-insensitive (case-sensitive) | adapted | adaptation time | adapted ms/image, median (base) | other sets: base → adapted |');
    console.log('|---|---|---|---|---|---|---|');
    for (const set of sets.filter((s) => !args.only || s.name.includes(args.only))) printRow(await adaptOne(set, args, tmp, baseOthers, sets));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
