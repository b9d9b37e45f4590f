// Writes labelled PNGs from the npm captcha generators used by real Node sites
// (and by this project's fixture site) into training/data/npm/<generator>/.
// Usage (from the repo root): node training/gen_npm.mjs [--n 6000] [--out training/data/npm] [--seed 1]
//   [--only svg,trek,png,math,svgfixed,svgfonts,gif] [--math-out training/data/npm-math]
// Each folder gets labels.tsv (`file<TAB>label`, header line), same format as the dev sets. `math` draws svg-captcha's
// math mode ("7+3", "12-4": what `createMathExpr` draws) into --math-out for train_math.py (label: the expression).
// `svgfixed`: svg-captcha-fixed (the fork @midwayjs/captcha draws with: glyph outlines with randomly split curves and
// lines), N/2 images; `svgfonts`: svg-captcha's own renderer with a Debian or @fontsource font instead of its one font
// (passed per call as `font`, as its loadFont would set it), N/2; `gif`: captcha.gif (a port of the brokestream C
// captcha, like trek-captcha, with its dots/blur/filter/colour options), N/4.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const sharp = require('sharp');
const svgCaptcha = require('svg-captcha');
const trek = require('trek-captcha');
const Captchapng = require('captchapng');
const svgCaptchaFixed = require('svg-captcha-fixed');
const { Captcha: GifCaptcha } = require('captcha.gif');
// the opentype.js that svg-captcha itself loads its font with
const opentype = createRequire(require.resolve('svg-captcha'))('opentype.js');

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const N = Number(args.n ?? 6000);
const OUT = args.out ?? 'training/data/npm';
const MATH_OUT = args['math-out'] ?? 'training/data/npm-math';
const ONLY = new Set((args.only ?? 'svg,trek,png,math,svgfixed,svgfonts,gif').split(','));
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

// svg-captcha-fixed with the option ranges of `svg` (Midway's defaults: 4 chars, 1 noise line, 120x40) and its
// path-randomising probabilities varied around the defaults (0.5, 0.5, split at 0.4-0.6)
async function svgFixed(n) {
  const dir = path.join(OUT, 'svg-captcha-fixed');
  const add = tsv(dir);
  for (let i = 0; i < n; i++) {
    const preset = pick([LOWER + UPPER + DIGITS, LOWER + UPPER + DIGITS, LOWER + DIGITS, UPPER + DIGITS, DIGITS]);
    const midway = rnd() < 0.4;
    const opts = {
      size: midway ? 4 : ri(4, 6),
      noise: midway ? 1 : ri(0, 4),
      color: rnd() < 0.5,
      charPreset: preset,
      ignoreChars: rnd() < 0.5 ? '0o1iIlO' : '',
      width: midway ? 120 : ri(100, 160),
      height: midway ? 40 : ri(40, 60),
      fontSize: midway ? 50 : ri(40, 60),
      truncateLineProbability: pick([0.5, 0.5, 0.3, 0.7]),
      truncateCurveProbability: pick([0.5, 0.5, 0.3, 0.7]),
    };
    if (rnd() < 0.4) opts.background = lightColor();
    const c = svgCaptchaFixed.create(opts);
    const name = `${String(i).padStart(6, '0')}.png`;
    await sharp(Buffer.from(c.data)).png().toFile(path.join(dir, name));
    add(name, c.text);
  }
}

// Training fonts for svg-captcha (TrueType/CFF from /usr/share/fonts and the @fontsource WOFF files of setup.sh), as
// synth/gen.py picks them: never the hold-out fonts (Comic Neue, Fira Code, URW Bookman), no symbol/hairline faces
const HOLDOUT = ['ComicNeue', 'FiraCode', 'URWBookman'];
const EXCLUDE = ['StandardSymbols', 'D050000L', 'DejaVuMathTeXGyre', 'Z003', 'Hairline', 'Thin', 'ExtraLight', 'Light',
  'Initials', 'Music', 'Symbol', 'Emoji', 'Math'];
function fontFiles() {
  const out = [];
  const walk = (d) => {
    let ents = [];
    try { ents = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of ents) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ttf|otf)$/i.test(e.name) || /-latin-(400|700)-normal\.woff$/.test(e.name)) out.push(p);
    }
  };
  walk('/usr/share/fonts');
  walk('training/data/fonts');
  return out.filter((p) => {
    const b = path.basename(p);
    if (p.includes('/noto/') && !/^Noto(Sans|Serif|SansMono)-/.test(b)) return false;
    return !HOLDOUT.some((k) => b.includes(k)) && !EXCLUDE.some((k) => b.includes(k));
  }).sort();
}

async function svgFonts(n) {
  const dir = path.join(OUT, 'svg-captcha-fonts');
  const add = tsv(dir);
  const files = fontFiles();
  const cache = new Map();
  const load = (f) => {
    if (!cache.has(f)) {
      let font = null;
      try {
        font = opentype.loadSync(f);
        // a font that lacks Latin letters or digits would draw boxes: not a training font here
        if (!'aZ09'.split('').every((ch) => font.charToGlyph(ch).index > 0)) font = null;
      } catch { font = null; }
      cache.set(f, font);
    }
    return cache.get(f);
  };
  let i = 0;
  while (i < n) {
    const f = pick(files);
    const font = load(f);
    if (!font) continue;
    const preset = pick([LOWER + UPPER + DIGITS, LOWER + UPPER + DIGITS, LOWER + DIGITS, UPPER + DIGITS, DIGITS, LOWER]);
    const opts = {
      size: ri(4, 6), noise: ri(0, 4), color: rnd() < 0.5, charPreset: preset,
      ignoreChars: rnd() < 0.5 ? '0o1iIlO' : '', width: ri(100, 170), height: ri(40, 60), fontSize: ri(36, 60),
      font, ascender: font.ascender, descender: font.descender,
    };
    if (rnd() < 0.4) opts.background = lightColor();
    const c = svgCaptcha.create(opts);
    const name = `${String(i).padStart(6, '0')}.png`;
    await sharp(Buffer.from(c.data)).png().toFile(path.join(dir, name));
    add(name, c.text);
    i++;
  }
}

async function gifGen(n) {
  const dir = path.join(OUT, 'captcha.gif');
  const add = tsv(dir);
  for (let i = 0; i < n; i++) {
    const cap = new GifCaptcha({ numberOfDots: pick([100, 100, 0, 25, 50, 75]) /* its buffer holds 100 at most */, blur: rnd() < 0.3, filter: rnd() < 0.3 });
    const { token, buffer } = cap.generate(ri(4, 6), rnd() < 0.3 ? 0 : ri(0, 17));
    const name = `${String(i).padStart(6, '0')}.png`;
    await sharp(buffer).png().toFile(path.join(dir, name));
    add(name, token);
  }
}

const t0 = Date.now();
const wrote = [];
if (ONLY.has('svg')) { await svg(N); wrote.push(`${N} svg-captcha`); }
if (ONLY.has('trek')) { await trekGen(Math.ceil(N / 2)); wrote.push(`${Math.ceil(N / 2)} trek-captcha`); }
if (ONLY.has('png')) { await pngGen(Math.ceil(N / 2)); wrote.push(`${Math.ceil(N / 2)} captchapng`); }
if (ONLY.has('math')) { await svgMath(N); wrote.push(`${N} svg-captcha math into ${MATH_OUT}`); }
if (ONLY.has('svgfixed')) { await svgFixed(Math.ceil(N / 2)); wrote.push(`${Math.ceil(N / 2)} svg-captcha-fixed`); }
if (ONLY.has('svgfonts')) { await svgFonts(Math.ceil(N / 2)); wrote.push(`${Math.ceil(N / 2)} svg-captcha (other fonts)`); }
if (ONLY.has('gif')) { await gifGen(Math.ceil(N / 4)); wrote.push(`${Math.ceil(N / 4)} captcha.gif`); }
console.log(`wrote ${wrote.join(', ')} (text generators into ${OUT}) in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
