/**
 * Runs a recogniser over a dataset, one image at a time (so the timings are per image, one thread).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset, Sample } from './datasets.js';
import type { Prediction } from './metrics.js';

export interface Recognizer {
  recognize(image: Buffer): Promise<{ text: string; confidence: number; elapsedMs: number }>;
}

/** Evaluates `samples` of `dataset`; a thrown error counts as an empty, wrong answer. */
export async function evaluate(recognizer: Recognizer, dataset: Dataset, samples: readonly Sample[] = dataset.samples): Promise<Prediction[]> {
  const preds: Prediction[] = [];
  for (const s of samples) {
    const bytes = await readFile(join(dataset.dir, s.file));
    const t0 = performance.now();
    try {
      const r = await recognizer.recognize(bytes);
      preds.push({ label: s.label, text: r.text, confidence: r.confidence, ms: performance.now() - t0 });
    } catch (e) {
      preds.push({ label: s.label, text: '', confidence: 0, ms: performance.now() - t0, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return preds;
}
