/**
 * `collect` through the other entry points: `solveImageCaptchas` (several captchas on one page) and the `.use()`
 * plugin's options (real puppeteer-extra over puppeteer-core), into one folder.
 */
import puppeteerCore, { type Browser, type Page } from 'puppeteer-core';
import { addExtra } from 'puppeteer-extra';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCollection } from '../../src/collect/index.js';
import { solveImageCaptchas } from '../../src/flow/index.js';
import { ImageCaptchaPlugin, type ImageCaptchaPluginInstance } from '../../src/plugins/extra.js';
import { CHROMIUM_LAUNCH } from '../support/chromium.js';
import { closeAfterEach, useFixtureSite, useTempDir } from '../support/e2e.js';

const site = useFixtureSite({ resetEach: true });
const tmp = useTempDir('ics-collect-plugins-');
let plugin: ImageCaptchaPluginInstance;
let browser: Browser;
const dir = () => join(tmp.path, 'shop');

beforeAll(async () => {
  plugin = ImageCaptchaPlugin({ solver: site.solver, collect: dir(), timeout: 45_000 });
  const puppeteer = addExtra(puppeteerCore as never);
  puppeteer.use(plugin);
  browser = (await puppeteer.launch(CHROMIUM_LAUNCH)) as unknown as Browser;
}, 60_000);
afterAll(async () => {
  await browser?.close();
});
const track = closeAfterEach<Page>();

/** The texts the site accepted, lowercased (its answers are case-insensitive). */
const accepted = () => site.server.stats().submissions.filter((s) => s.ok).map((s) => s.given.toLowerCase());

describe('collect through solveImageCaptchas and the puppeteer-extra plugin', () => {
  it('the plugin option collects what page.solveImageCaptcha() got accepted', { timeout: 60_000 }, async () => {
    const page = track(await browser.newPage());
    await page.goto(`${site.server.url}/login`);
    const r = await plugin.solveImageCaptcha(page);
    expect(r).toMatchObject({ verified: true, collected: { dir: dir(), status: 'added' } });
    const rows = await readCollection(dir());
    expect(rows.map((e) => e.text.toLowerCase())).toEqual(accepted());
  });

  it('solveImageCaptchas collects each verified captcha of the page into the same folder', { timeout: 90_000 }, async () => {
    const before = (await readCollection(dir())).length;
    const page = track(await browser.newPage());
    await page.goto(`${site.server.url}/two-captchas`);
    const { results, errors } = await solveImageCaptchas(page, { solver: site.solver, collect: dir() });
    expect(errors).toEqual([]);
    const verified = results.filter((r) => r.verified);
    expect(verified.length).toBeGreaterThan(0);
    expect(results.map((r) => r.collected?.status)).toEqual(results.map((r) => (r.verified ? 'added' : 'skipped')));
    const rows = await readCollection(dir());
    expect(rows.length).toBe(before + verified.length);
    expect(rows.slice(before).map((e) => e.text.toLowerCase()).sort()).toEqual(verified.map((r) => r.text.toLowerCase()).sort());
  });
});
