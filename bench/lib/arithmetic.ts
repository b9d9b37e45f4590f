/**
 * `npm run bench:math`: how the math model reads every set, to choose when an expression without `=` ("12+20") may
 * be taken as arithmetic without the caller saying so. For each set: how many images the math model reads as an
 * expression with no `=`, how many of those the rule in `mathConfidenceNeeded` takes, and how many would be taken at
 * other thresholds; on sets whose labels are expressions, how many taken values are right. Prints; asserts nothing.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalSolver, mathConfidenceNeeded, parseArithmetic } from '../../src/solvers/offline/index.js';
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
  maxConfidence: number;
}

async function readSet(math: LocalSolver, ds: Dataset, limit: number): Promise<Row> {
  const row: Row = { set: ds.name, n: 0, noEquals: 0, takenByRule: 0, rightByRule: 0, taken: THRESHOLDS.map(() => 0), right: THRESHOLDS.map(() => 0), maxConfidence: 0 };
  // a label is the expression drawn (dev sets) or its value (the fixture's arithmetic styles)
  const expected = (label: string) => parseArithmetic(label)?.value ?? (/^-?\d+$/.test(label) ? Number(label) : undefined);
  for (const s of limitSamples(ds.samples, limit)) {
    row.n++;
    const r = await math.recognize(await readFile(join(ds.dir, s.file)));
    const parsed = parseArithmetic(r.text);
    if (!parsed || r.text.includes('=')) continue;
    row.noEquals++;
    row.maxConfidence = Math.max(row.maxConfidence, r.confidence);
    const right = parsed.value === expected(s.label);
    if (r.confidence >= mathConfidenceNeeded(r.text)) {
      row.takenByRule++;
      row.rightByRule += Number(right);
    }
    THRESHOLDS.forEach((t, i) => {
      if (r.confidence >= t) {
        row.taken[i]!++;
        row.right[i]! += Number(right);
      }
    });
  }
  return row;
}

export async function main(argv: readonly string[]): Promise<void> {
  const limit = argv.includes('--limit') ? Number(argv[argv.indexOf('--limit') + 1]) : 0;
  const model = argv.includes('--model') ? argv[argv.indexOf('--model') + 1]! : join(REPO, 'models', 'captcha-math.onnx');
  const dev = process.env.CAPTCHA_DEV_DATA ?? join(REPO, '..', 'shared', 'data', 'dev');
  const sets = [...listDatasets(dev, 'dev/'), ...listDatasets(join(REPO, 'bench', '.cache', 'page'), 'page/'), ...listDatasets(join(REPO, 'bench', '.cache', 'holdout'), 'holdout/')];
  // the math model alone, read as a text model: its raw reading and confidence
  const math = new LocalSolver({ model, secondLook: false, math: false });
  console.log(`# the math model's readings without "=" (${model}); rule: mathConfidenceNeeded`);
  console.log(`| set | n | read as an expression without = | taken by the rule (right) | max confidence | ${THRESHOLDS.map((t) => `≥ ${t} (right)`).join(' | ')} |`);
  console.log(`|---|---:|---:|---:|---:|${THRESHOLDS.map(() => '---:').join('|')}|`);
  for (const ds of sets) {
    const r = await readSet(math, ds, limit);
    console.log(`| ${r.set} | ${r.n} | ${r.noEquals} | ${r.takenByRule} (${r.rightByRule}) | ${r.maxConfidence.toFixed(3)} | ${r.taken.map((t, i) => `${t} (${r.right[i]})`).join(' | ')} |`);
  }
  await math.close();
}
