/**
 * `npm run bench:math`: how the math model reads every set, to choose when an expression without `=` ("12+20") may
 * be taken as arithmetic without the caller saying so. For each set: how many images the math model reads as an
 * expression with no `=`, how many of those the rule in `mathConfidenceNeeded` takes (it also asks how sure the text
 * model is), and how many would be taken at other thresholds of the math model's confidence, alone and when the text
 * model's first reading is below `--text-below` (default `UNTOLD_MATH_TEXT_BELOW`); on sets whose labels are expressions, how many taken
 * values are right. Prints; asserts nothing.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalSolver, mathConfidenceNeeded, parseArithmetic, UNTOLD_MATH_TEXT_BELOW } from '../../src/solvers/offline/index.js';
import { limitSamples, listDatasets, type Dataset } from './datasets.js';
import { REPO } from './bench.js';

const THRESHOLDS = [0.9, 0.95, 0.97, 0.98, 0.99];

interface Row {
  set: string;
  n: number;
  noEquals: number;
  takenByRule: number;
  rightByRule: number;
  taken: number[];
  right: number[];
  /** Taken at each threshold when the text model is also unsure (below `textBelow`). */
  takenUnsure: number[];
  rightUnsure: number[];
  maxConfidence: number;
}

interface Readers {
  math: LocalSolver;
  text: LocalSolver;
  textBelow: number;
}

async function readSet({ math, text, textBelow }: Readers, ds: Dataset, limit: number): Promise<Row> {
  const zeros = () => THRESHOLDS.map(() => 0);
  const row: Row = { set: ds.name, n: 0, noEquals: 0, takenByRule: 0, rightByRule: 0, taken: zeros(), right: zeros(), takenUnsure: zeros(), rightUnsure: zeros(), maxConfidence: 0 };
  // a label is the expression drawn (dev sets) or its value (the fixture's arithmetic styles)
  const expected = (label: string) => parseArithmetic(label)?.value ?? (/^-?\d+$/.test(label) ? Number(label) : undefined);
  for (const s of limitSamples(ds.samples, limit)) {
    row.n++;
    const bytes = await readFile(join(ds.dir, s.file));
    const r = await math.recognize(bytes);
    // read as a text model, a reading that is an expression comes back as its value, the reading in `expression`
    const read = r.expression ?? r.text;
    const parsed = parseArithmetic(read);
    if (!parsed || read.includes('=')) continue;
    row.noEquals++;
    row.maxConfidence = Math.max(row.maxConfidence, r.confidence);
    const right = parsed.value === expected(s.label);
    const textConfidence = (await text.recognize(bytes)).confidence;
    if (r.confidence >= mathConfidenceNeeded(read, textConfidence)) {
      row.takenByRule++;
      row.rightByRule += Number(right);
    }
    THRESHOLDS.forEach((t, i) => {
      if (r.confidence < t) return;
      row.taken[i]!++;
      row.right[i]! += Number(right);
      if (textConfidence >= textBelow) return;
      row.takenUnsure[i]!++;
      row.rightUnsure[i]! += Number(right);
    });
  }
  return row;
}

export async function main(argv: readonly string[]): Promise<void> {
  const flag = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
  const limit = Number(flag('--limit') ?? 0);
  const model = flag('--model') ?? join(REPO, 'models', 'captcha-math.onnx');
  const textBelow = Number(flag('--text-below') ?? UNTOLD_MATH_TEXT_BELOW);
  const dev = process.env.CAPTCHA_DEV_DATA ?? join(REPO, '..', 'shared', 'data', 'dev');
  const sets = [...listDatasets(dev, 'dev/'), ...listDatasets(join(REPO, 'bench', '.cache', 'page'), 'page/'), ...listDatasets(join(REPO, 'bench', '.cache', 'holdout'), 'holdout/')];
  // the math model alone, read as a text model: its raw reading and confidence; the text model's first reading
  const readers = { math: new LocalSolver({ model, secondLook: false, math: false }), text: new LocalSolver({ secondLook: false, math: false }), textBelow };
  const cells = (taken: number[], right: number[]) => taken.map((t, i) => `${t} (${right[i]})`).join(' | ');
  console.log(`# the math model's readings without "=" (${model}); rule: mathConfidenceNeeded; text model unsure: below ${textBelow}`);
  console.log(`| set | n | read as an expression without = | taken by the rule (right) | max confidence | ${THRESHOLDS.map((t) => `≥ ${t} (right)`).join(' | ')} | ${THRESHOLDS.map((t) => `≥ ${t}, text unsure (right)`).join(' | ')} |`);
  console.log(`|---|---:|---:|---:|---:|${[...THRESHOLDS, ...THRESHOLDS].map(() => '---:').join('|')}|`);
  try {
    for (const ds of sets) {
      const r = await readSet(readers, ds, limit);
      console.log(`| ${r.set} | ${r.n} | ${r.noEquals} | ${r.takenByRule} (${r.rightByRule}) | ${r.maxConfidence.toFixed(3)} | ${cells(r.taken, r.right)} | ${cells(r.takenUnsure, r.rightUnsure)} |`);
    }
  } finally {
    await Promise.all([readers.math.close(), readers.text.close()]);
  }
}
