// Writes labelled PNGs from the npm captcha generators used by real Node sites
// (and by this project's fixture site) into training/data/npm/<generator>/.
// Usage (from the repo root): node training/gen_npm.mjs [--n 6000] [--out training/data/npm] [--seed 1]
// Each folder gets labels.tsv (`file<TAB>label`, header line), same format as the dev sets.
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
let seed = Number(args.seed ?? 1);
// svg-captcha and trek use Math.random internally; we only seed our own option choices.
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
const ri = (a, b) => a + Math.floor(rnd() * (b - a + 1));
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
const DIGITS = '0123456789';

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
    if (rnd() < 0.4) opts.background = `#${ri(0x90, 0xff).toString(16)}${ri(0x90, 0xff).toString(16)}${ri(0x90, 0xff).toString(16)}`;
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

const t0 = Date.now();
await svg(N);
await trekGen(Math.ceil(N / 2));
await pngGen(Math.ceil(N / 2));
console.log(`wrote ${N} svg-captcha, ${Math.ceil(N / 2)} trek-captcha, ${Math.ceil(N / 2)} captchapng into ${OUT} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
