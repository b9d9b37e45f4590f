/**
 * `collect` through the other entry points: `solveImageCaptchas` (several captchas on one page) and the `.use()`
 * plugin's options (real puppeteer-extra over puppeteer-core), into one folder.
 */
import type { Page } from 'puppeteer-core';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCollection } from '../../src/collect/index.js';
import { solveImageCaptchas } from '../../src/flow/index.js';
import { ImageCaptchaPlugin } from '../../src/plugins/extra.js';
import { closeAfterEach, useFixtureSite, usePuppeteerExtra, useTempDir } from '../support/e2e.js';

const site = useFixtureSite({ resetEach: true });
const tmp = useTempDir('ics-collect-plugins-');
const dir = () => join(tmp.path, 'shop');
const extra = usePuppeteerExtra(() => ImageCaptchaPlugin({ solver: site.solver, collect: dir(), timeout: 45_000 }));
const track = closeAfterEach<Page>();

/** The texts the site accepted, lowercased (its answers are case-insensitive). */
const accepted = () => site.server.stats().submissions.filter((s) => s.ok).map((s) => s.given.toLowerCase());

describe('collect through solveImageCaptchas and the puppeteer-extra plugin', () => {
  it('the plugin option collects what page.solveImageCaptcha() got accepted', { timeout: 60_000 }, async () => {
    const page = track(await extra.browser.newPage());
    await page.goto(`${site.server.url}/login`);
    const r = await extra.plugin.solveImageCaptcha(page);
    expect(r).toMatchObject({ verified: true, collected: { dir: dir(), status: 'added' } });
    const rows = await readCollection(dir());
    expect(rows.map((e) => e.text.toLowerCase())).toEqual(accepted());
  });

  it('solveImageCaptchas collects each verified captcha of the page into the same folder', { timeout: 90_000 }, async () => {
    const before = (await readCollection(dir())).length;
    const page = track(await extra.browser.newPage());
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
