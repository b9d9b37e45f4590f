// Writes labelled PNGs from the npm captcha generators used by real Node sites
// (and by this project's fixture site) into training/data/npm/<generator>/.
// Usage (from the repo root): node training/gen_npm.mjs [--n 6000] [--out training/data/npm] [--seed 1]
//   [--only svg,trek,png,math] [--math-out training/data/npm-math]
// Each folder gets labels.tsv (`file<TAB>label`, header line), same format as the dev sets. `math` draws svg-captcha's
// math mode ("7+3", "12-4": what `createMathExpr` draws) into --math-out for train_math.py (label: the expression).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const sharp = require('sharp');
const svgCaptcha = require('svg-captcha');
const trek = require('trek-captcha');
const Captchapng = require('captchapng');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const N = Number(args.n ?? 6000);
const OUT = args.out ?? 'training/data/npm';
const MATH_OUT = args['math-out'] ?? 'training/data/npm-math';
const ONLY = new Set((args.only ?? 'svg,trek,png,math').split(','));
let seed = Number(args.seed ?? 1);
// svg-captcha and trek use Math.random internally; we only seed our own option choices.
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const ri = (a, b) => a + Math.floor(rnd() * (b - a + 1));
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const DIGITS = '0123456789';

/** A light background colour for svg-captcha, `#rrggbb` with each channel 0x90–0xff. */
const lightColor = () => `#${ri(0x90, 0xff).toString(16)}${ri(0x90, 0xff).toString(16)}${ri(0x90, 0xff).toString(16)}`;

function tsv(dir) {
  const file = path.join(dir, 'labels.tsv');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, 'file\tlabel\n');
  return (name, label) => fs.appendFileSync(file, `${name}\t${label}\n`);
}

async function svg(n) {
  const dir = path.join(OUT, 'svg-captcha');
  const add = tsv(dir);
  for (let i = 0; i < n; i++) {
    const preset = pick([LOWER + UPPER + DIGITS, LOWER + UPPER + DIGITS, LOWER + DIGITS, UPPER + DIGITS, DIGITS, LOWER]);
    const opts = {
      size: ri(4, 6),
      noise: ri(0, 4),
      color: rnd() < 0.5,
      charPreset: preset,
      ignoreChars: rnd() < 0.5 ? '0o1iIlO' : '',
      width: ri(100, 160),
      height: ri(40, 60),
      fontSize: ri(40, 60),
    };
    if (rnd() < 0.4) opts.background = lightColor();
    const c = svgCaptcha.create(opts);
    const name = `${String(i).padStart(6, '0')}.png`;
    await sharp(Buffer.from(c.data)).png().toFile(path.join(dir, name));
    add(name, c.text);
  }
}

async function trekGen(n) {
  const dir = path.join(OUT, 'trek-captcha');
  const add = tsv(dir);
  for (let i = 0; i < n; i++) {
    const { token, buffer } = await trek({ size: ri(4, 6) });
    const name = `${String(i).padStart(6, '0')}.png`;
    await sharp(buffer).png().toFile(path.join(dir, name));
    add(name, token);
  }
}

async function pngGen(n) {
  const dir = path.join(OUT, 'captchapng');
  const add = tsv(dir);
  for (let i = 0; i < n; i++) {
    const digits = ri(4, 6);
    const value = ri(10 ** (digits - 1), 10 ** digits - 1);
    const w = ri(60, 120), h = ri(24, 40);
    const p = new Captchapng(w, h, value);
    const transparent = rnd() < 0.5;
    p.color(ri(200, 255), ri(200, 255), ri(200, 255), transparent ? 0 : 255);
    p.color(ri(0, 120), ri(0, 120), ri(0, 120), 255);
    const name = `${String(i).padStart(6, '0')}.png`;
    await sharp(Buffer.from(p.getBase64(), 'base64')).png().toFile(path.join(dir, name));
    add(name, String(value));
  }
}

// svg-captcha's math mode: `createMathExpr` draws `${a}+${b}` or `${a}-${b}` (mathMin 1, mathMax 9 by default) with
// the same renderer as `create`; drawn here through that renderer with the expression known, over its option range
async function svgMath(n) {
  const dir = path.join(MATH_OUT, 'svg-captcha');
  const add = tsv(dir);
  for (let i = 0; i < n; i++) {
    const max = pick([9, 9, 9, 20, 50]);
    const a = ri(1, max), b = ri(1, max);
    const expr = `${a}${pick(['+', '-'])}${b}`;
    const opts = { noise: ri(0, 4), color: rnd() < 0.6, width: ri(100, 160), height: ri(40, 60), fontSize: ri(40, 60) };
    if (rnd() < 0.4) opts.background = lightColor();
    const name = `${String(i).padStart(6, '0')}.png`;
    await sharp(Buffer.from(svgCaptcha(expr, opts))).png().toFile(path.join(dir, name));
    add(name, expr);
  }
}

const t0 = Date.now();
const wrote = [];
if (ONLY.has('svg')) { await svg(N); wrote.push(`${N} svg-captcha`); }
if (ONLY.has('trek')) { await trekGen(Math.ceil(N / 2)); wrote.push(`${Math.ceil(N / 2)} trek-captcha`); }
if (ONLY.has('png')) { await pngGen(Math.ceil(N / 2)); wrote.push(`${Math.ceil(N / 2)} captchapng`); }
if (ONLY.has('math')) { await svgMath(N); wrote.push(`${N} svg-captcha math into ${MATH_OUT}`); }
console.log(`wrote ${wrote.join(', ')} (text generators into ${OUT}) in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
