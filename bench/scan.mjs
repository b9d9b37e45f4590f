#!/usr/bin/env node
// Detection benchmark (`npm run bench:scan`, after `npx tsup`): how long `findImageCaptchas(page)` takes on a busy
// page — a product list of N captcha-sized thumbnails (each with a caption and a link) above M paragraphs, with
// one login form and its captcha at the bottom — and on the same page built from web components (each card
// and the form in an open shadow root). Prints the median of --runs calls after one warm-up, and what was found.
// Asserts nothing.
//
// Usage: node bench/scan.mjs [--runs 5] [--images 300] [--paragraphs 3000] [--inputs 0]
// (--inputs N: each card also gets a quantity field, like an order form)
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return Number(i >= 0 && args[i + 1] ? args[i + 1] : def);
};
const RUNS = opt('runs', 5);
const IMAGES = opt('images', 300);
const PARAGRAPHS = opt('paragraphs', 3000);
const INPUTS = opt('inputs', 0);

if (!existsSync(join(root, 'dist/index.js'))) {
  console.error('bench/scan.mjs: dist/ is missing. Run `npx tsup` first');
  process.exit(1);
}
const lib = await import(join(root, 'dist/index.js'));
const { chromium } = await import('playwright-core');

// a 150×50 gray PNG: every thumbnail is captcha-sized, so none is dropped by geometry alone
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const card = (i) => `<div class="card"><img class="thumb" src="${PNG}" width="120" height="40" alt="item ${i}"><span>Item ${i}</span> <a href="#i${i}">details</a>${i < INPUTS ? `<input name="qty${i}" size="3"> <button type="button">Send code</button>` : ''}</div>`;
const form = `<form action="/login" method="post"><input name="user" autocomplete="username">
<img id="captcha" class="captcha" src="${PNG}" width="150" height="50" alt="captcha"><a href="#" class="reload">New image</a>
<input name="captcha_code" autocomplete="off" maxlength="6"><button type="submit">Sign in</button></form>`;

function plainPage() {
  let html = '<main>';
  for (let i = 0; i < IMAGES; i++) html += card(i);
  for (let i = 0; i < PARAGRAPHS; i++) html += `<p><span>paragraph ${i}</span></p>`;
  return `${html}</main>${form}`;
}

function componentPage() {
  let html = '<main>';
  for (let i = 0; i < IMAGES; i++) html += `<x-card>${card(i)}</x-card>`;
  for (let i = 0; i < PARAGRAPHS; i++) html += `<p><span>paragraph ${i}</span></p>`;
  // each <x-card> moves its markup into an open shadow root; so does <x-login>
  return `${html}</main><x-login>${form}</x-login><script>
for (const name of ['x-card', 'x-login']) customElements.define(name, class extends HTMLElement {
  connectedCallback() { if (!this.shadowRoot) { this.attachShadow({ mode: 'open' }).innerHTML = this.innerHTML; this.innerHTML = ''; } }
});
</script>`;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: lib.SAFE_CHROMIUM_ARGS, headless: true });
console.log(`# bench:scan — findImageCaptchas on a page with ${IMAGES} thumbnails (${INPUTS} with an input) and ${PARAGRAPHS} paragraphs; median of ${RUNS} runs\n`);
console.log('| page | median ms | min ms | found | best |');
console.log('|---|---:|---:|---:|---|');
try {
  for (const [name, html] of [['plain DOM', plainPage()], ['web components (open shadow roots)', componentPage()]]) {
    const page = await browser.newPage();
    await page.setContent(html);
    const times = [];
    let found = [];
    for (let i = 0; i <= RUNS; i++) {
      const t = performance.now();
      found = await lib.findImageCaptchas(page, { locateTimeout: 0 });
      if (i > 0) times.push(performance.now() - t);
    }
    console.log(`| ${name} | ${median(times).toFixed(0)} | ${Math.min(...times).toFixed(0)} | ${found.length} | ${found[0]?.selector ?? '—'} |`);
    await page.close();
  }
} finally {
  await browser.close();
}
