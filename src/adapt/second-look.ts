/**
 * Whether an adapted model keeps the base model's second look (reading unsure images again under other views):
 * only when that reads more of the held-out images right than one look does. A model adapted to a site is often
 * sure of it, and then the second look only costs time; where it still helps, it stays.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalSolver } from '../solvers/offline/local-solver.js';
import { charsetClasses } from '../solvers/offline/script.js';
import type { GraySample } from './dataset.js';
import { SIDECAR_FILE, updateSidecar } from './write.js';

/** How many of `samples` the model folder `out` reads as labelled (a look-alike letter in either script). */
export async function countRight(out: string, samples: readonly GraySample[], secondLook: boolean, int8 = true): Promise<number> {
  const solver = new LocalSolver({ model: out, secondLook, math: false, int8 });
  try {
    let right = 0;
    for (const s of samples) {
      const r = await solver.recognize(s.image);
      right += Number(charsetClasses(r.expression ?? r.text) === charsetClasses(s.text));
    }
    return right;
  } finally {
    await solver.close();
  }
}

/**
 * Reads the validation images with and without the second look and drops it from `out`'s sidecar unless it gets
 * more of them right. `oneLook`, when given, is the count without it, measured already (by `settleInt8`, on the
 * same model). Returns whether the adapted model keeps it.
 */
export async function settleSecondLook(out: string, val: readonly GraySample[], oneLook?: number): Promise<boolean> {
  const sidecar = JSON.parse(await readFile(join(out, SIDECAR_FILE), 'utf8')) as Record<string, unknown>;
  if (sidecar['secondLook'] === undefined) return false;
  const once = oneLook ?? await countRight(out, val, false);
  const again = await countRight(out, val, true);
  const keep = again > once;
  await updateSidecar(out, (s) => {
    s.adaptedFrom['secondLook'] = `${keep ? 'kept' : 'dropped'}: ${again} of ${val.length} validation images right with it, ${once} without`;
    if (!keep) delete s['secondLook'];
  });
  return keep;
}
