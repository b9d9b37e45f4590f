#!/usr/bin/env node
// Page-flow benchmark (`npm run bench:flow`, after `npx tsup`): on the same fixture pages, the time from a
// loaded page to an accepted answer for
//   - hand:     a minimal hand-written script for a known selector (element screenshot → solver → fill →
//               click submit → wait for the page's success element), i.e. what users write without us;
//   - selector: solveImageCaptcha(page, '<image selector>') from dist/ (locate, capture, type, submit, verify);
//   - detect:   solveImageCaptcha(page) with heuristic detection.
// All three use the same instant solver (the fixture server's own answer, no OCR), so the numbers are the
// flow's own overhead. The fixture site (TypeScript) is loaded through tsx. Each mode runs --runs times per
// page after one warm-up; prints per-page medians and the ratios to `hand`. Asserts nothing.
//
// Usage: node bench/flow.mjs [--runs 7] [--framework playwright|puppeteer|both] [--pages /login,/xhr,...]
import { register } from 'tsx/esm/api';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
};
const RUNS = Number(opt('runs', '7'));
const FRAMEWORKS = opt('framework', 'both') === 'both' ? ['playwright', 'puppeteer'] : [opt('framework')];
const PAGES = opt('pages', '/login,/data-url,/react,/xhr,/cf7,/django,/demo').split(',');

if (!existsSync(join(root, 'dist/index.js'))) {
  console.error('bench/flow.mjs: dist/ is missing. Run `npx tsup` first');
  process.exit(1);
}

register();
const { startFixtureServer, createFixtureSolver } = await import(join(root, 'fixtures/site/index.ts'));
const { CHROMIUM_PATH, CHROMIUM_ARGS } = await import(join(root, 'test/support/chromium.ts'));
const lib = await import(join(root, 'dist/index.js'));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function launch(framework) {
  if (framework === 'playwright') {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    return {
      close: () => browser.close(),
      async open(url) {
        const context = await browser.newContext();
        const page = await context.newPage();
        return {
          page,
          goto: () => page.goto(url, { waitUntil: 'load' }),
          shot: (sel) => page.locator(sel).first().screenshot(),
          fill: (sel, text) => page.locator(sel).first().fill(text),
          click: (sel) => page.locator(sel).first().click(),
          waitFor: (sel) => page.locator(sel).first().waitFor({ state: 'visible', timeout: 15_000 }),
          close: () => context.close(),
        };
      },
    };
  }
  const puppeteer = (await import('puppeteer-core')).default;
  const browser = await puppeteer.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  return {
    close: () => browser.close(),
    async open(url) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      return {
        page,
        goto: () => page.goto(url, { waitUntil: 'load' }),
        shot: async (sel) => Buffer.from(await (await page.$(sel)).screenshot()),
        fill: async (sel, text) => {
          await page.$eval(sel, (el) => (el.value = ''));
          await page.type(sel, text);
        },
        click: (sel) => page.click(sel),
        waitFor: (sel) => page.waitForSelector(sel, { visible: true, timeout: 15_000 }),
        close: () => context.close(),
      };
    },
  };
}

/** The minimal script a user writes for a known page. */
async function hand(t, info, solver) {
  const shot = await t.shot(info.selectors.image);
  const { text } = await solver.solve({ body: shot.toString('base64'), websiteURL: t.page.url() });
  await t.fill(info.selectors.input, text);
  await Promise.all([t.waitFor(info.success), t.click(info.selectors.submit)]);
}

async function run(framework, server) {
  const b = await launch(framework);
  const rows = [];
  try {
    for (const path of PAGES) {
      const info = server.page(path);
      const times = { hand: [], selector: [], detect: [] };
      for (let i = 0; i <= RUNS; i++) {
        for (const mode of ['hand', 'selector', 'detect']) {
          server.reset();
          const solver = createFixtureSolver(server);
          const t = await b.open(server.url + path);
          if (mode !== 'hand') lib.attachImageRecorder(t.page); // as the plugins do on page creation
          await t.goto();
          const t0 = performance.now();
          let ok = true;
          try {
            if (mode === 'hand') await hand(t, info, solver);
            else {
              const r = await lib.solveImageCaptcha(t.page, mode === 'selector' ? info.selectors.image : undefined, { solver, timeout: 20_000 });
              ok = r.verified;
            }
          } catch (err) {
            ok = false;
            console.error(`${framework} ${path} ${mode}: ${err.message.split('\n')[0]}`);
          }
          const ms = performance.now() - t0;
          const accepted = server.stats().submissions.some((s) => s.page === path && s.ok);
          if (i > 0 && ok && accepted) times[mode].push(ms); // run 0 is the warm-up
          await t.close();
        }
      }
      const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.length ? median(v) : NaN]));
      rows.push({ path, ...m, n: Math.min(times.hand.length, times.selector.length, times.detect.length) });
    }
  } finally {
    await b.close();
  }
  return rows;
}

const server = await startFixtureServer();
try {
  console.log(`# bench:flow — ${RUNS} runs per mode and page (median), instant solver, Chromium ${CHROMIUM_PATH}`);
  for (const framework of FRAMEWORKS) {
    const rows = await run(framework, server);
    console.log(`\n## ${framework}\n`);
    console.log('| page | hand ms | selector ms | detect ms | selector/hand | detect/hand | runs |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      console.log(`| ${r.path} | ${r.hand.toFixed(0)} | ${r.selector.toFixed(0)} | ${r.detect.toFixed(0)} | ${(r.selector / r.hand).toFixed(2)}× | ${(r.detect / r.hand).toFixed(2)}× | ${r.n} |`);
    }
    const sel = median(rows.map((r) => r.selector / r.hand));
    const det = median(rows.map((r) => r.detect / r.hand));
    console.log(`\nmedian ratio over pages: selector ${sel.toFixed(2)}× (target ≤ 1.3×), detection ${det.toFixed(2)}× (target ≤ 1.6×)`);
  }
} finally {
  await server.close();
}
