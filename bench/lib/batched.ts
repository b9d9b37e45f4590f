/**
 * Runs our solver over a dataset in batches (`LocalSolver.recognizeMany`, `size` images at a time, whose readings
 * share model runs): each image's time is its batch's wall time divided by the batch's size, so the median and
 * p95 compare with one image at a time (bench/lib/evaluate.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalSolver, RecognizeOptions } from '../../src/solvers/offline/index.js';
import type { Dataset, Sample } from './datasets.js';
import type { Prediction } from './metrics.js';

/** Evaluates `samples` of `dataset` `size` at a time; an image that failed counts as an empty, wrong answer. */
export async function evaluateBatched(solver: LocalSolver, dataset: Dataset, samples: readonly Sample[], options: RecognizeOptions = {}, size = 8): Promise<Prediction[]> {
  const preds: Prediction[] = [];
  for (let start = 0; start < samples.length; start += size) {
    const chunk = samples.slice(start, start + size);
    const images = await Promise.all(chunk.map((s) => readFile(join(dataset.dir, s.file))));
    const t0 = performance.now();
    const results = await solver.recognizeMany(images, { ...options, concurrency: size });
    const ms = (performance.now() - t0) / chunk.length;
    results.forEach((r, i) => {
      const label = chunk[i]!.label;
      if (r.status === 'fulfilled') preds.push({ label, text: r.value.text, confidence: r.value.confidence, ms });
      else preds.push({ label, text: '', confidence: 0, ms, error: r.reason instanceof Error ? r.reason.message : String(r.reason) });
    });
  }
  return preds;
}
