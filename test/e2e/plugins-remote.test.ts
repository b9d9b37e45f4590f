/**
 * Remote browsers: Chromium started by us with `--remote-debugging-port=0` (and the safe flags), then solved on
 * through `chromium.connectOverCDP()` (Playwright), `puppeteer.connect({ browserWSEndpoint })` (Puppeteer), and
 * puppeteer-extra's `connect()` with the plugin (which must not hang connect, and adopts existing pages).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import puppeteerCore from 'puppeteer-core';
import { addExtra } from 'puppeteer-extra';
import { addExtra as addPlaywrightExtra } from 'playwright-extra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachImageRecorder, solveImageCaptcha } from '../../src/index.js';
import { ImageCaptchaPlugin, withImageCaptcha } from '../../src/plugins/extra.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium.js';
import { useFixtureSite } from '../support/e2e.js';

const site = useFixtureSite({ resetEach: true });
let proc: ChildProcess;
let profile: string;
let wsEndpoint: string;

function launchRemoteChromium(): Promise<string> {
  profile = mkdtempSync(join(tmpdir(), 'ics-remote-'));
  proc = spawn(CHROMIUM_PATH, [...CHROMIUM_ARGS, '--headless', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true, // its own process group: teardown stops Chromium's helper processes too
  });
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`Chromium printed no DevTools endpoint in 30s:\n${err}`)), 30_000);
    proc.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code}) before listening:\n${err}`));
    });
  });
}

beforeAll(async () => {
  wsEndpoint = await launchRemoteChromium();
}, 60_000);

afterAll(async () => {
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc.once('exit', r));
    process.kill(-proc.pid!, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
  }
  try {
    if (proc?.pid) process.kill(-proc.pid, 'SIGKILL'); // any helper still alive
  } catch {
    /* the group is gone */
  }
  if (profile) {
    for (let i = 0; i < 20; i++) {
      try {
        rmSync(profile, { recursive: true, force: true });
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 250)); // a helper may still be flushing the profile
      }
    }
  }
});

describe('remote browsers', () => {
  it('Playwright connectOverCDP(): solves in the default context', { timeout: 60_000 }, async () => {
    const browser = await chromium.connectOverCDP(wsEndpoint);
    try {
      const context = browser.contexts()[0]!;
      const page = await context.newPage();
      attachImageRecorder(page);
      await page.goto(`${site.server.url}/login`);
      const r = await solveImageCaptcha(page, { solver: site.solver, timeout: 45_000 });
      expect(r.solved).toBe(true);
      expect(r.capture.method).toBe('network');
      expect(site.okSubmissions('/login')).toBe(1);
      await page.close();
    } finally {
      await browser.close(); // for connectOverCDP this disconnects; the remote Chromium keeps running
    }
    expect(proc.exitCode).toBeNull();
  });

  it('Puppeteer connect({ browserWSEndpoint }): solves a cross-origin iframe captcha', { timeout: 60_000 }, async () => {
    const browser = await puppeteerCore.connect({ browserWSEndpoint: wsEndpoint });
    try {
      const page = await browser.newPage();
      attachImageRecorder(page);
      await page.goto(`${site.server.url}/iframe-cross`);
      const r = await solveImageCaptcha(page, { solver: site.solver, timeout: 45_000 });
      expect(r.solved).toBe(true);
      expect(site.okSubmissions('/iframe-cross')).toBe(1);
      await page.close();
    } finally {
      await browser.disconnect();
    }
  });

  it('puppeteer-extra connect() with the plugin: returns promptly and adopts pages that already existed', { timeout: 60_000 }, async () => {
    // A page opened by another client before the plugin ever sees this browser.
    const other = await puppeteerCore.connect({ browserWSEndpoint: wsEndpoint });
    const before = await other.newPage();
    await before.goto(`${site.server.url}/?opened-before`);
    await other.disconnect();

    const plugin = ImageCaptchaPlugin({ solver: site.solver, timeout: 45_000 });
    const puppeteer = addExtra(puppeteerCore as never);
    puppeteer.use(plugin);
    const started = Date.now();
    const browser = (await puppeteer.connect({ browserWSEndpoint: wsEndpoint })) as unknown as import('puppeteer-core').Browser;
    expect(Date.now() - started).toBeLessThan(10_000);
    try {
      const existing = (await browser.pages()).find((p) => p.url().includes('opened-before'));
      expect(existing).toBeDefined();
      await new Promise((r) => setTimeout(r, 300)); // adoption runs beside connect(), not inside it
      await existing!.goto(`${site.server.url}/login`);
      const { results: [r], errors } = await withImageCaptcha(existing!).solveImageCaptchas();
      expect(errors).toEqual([]);
      expect(r?.solved).toBe(true);
      expect(r?.capture.method).toBe('network'); // the plugin attached its recorder to the adopted page
      expect(site.okSubmissions('/login')).toBe(1);
      await existing!.close();
    } finally {
      await browser.disconnect();
    }
  });

  it('playwright-extra connectOverCDP() with the plugin: pages of the default context get the recorder and methods', { timeout: 60_000 }, async () => {
    const plugin = ImageCaptchaPlugin({ solver: site.solver, timeout: 45_000 });
    const pw = addPlaywrightExtra(chromium);
    pw.use(plugin);
    const browser = await pw.connectOverCDP(wsEndpoint);
    try {
      // playwright-extra binds only contexts it creates; the default context of connectOverCDP is bound by the plugin.
      const page = await browser.contexts()[0]!.newPage();
      await page.goto(`${site.server.url}/login`);
      const { results, errors } = await withImageCaptcha(page).solveImageCaptchas();
      expect(errors).toEqual([]);
      expect(results.map((r) => [r.solved, r.capture.method])).toEqual([[true, 'network']]);
      expect(site.okSubmissions('/login')).toBe(1);
      await page.close();
    } finally {
      await browser.close();
    }
    expect(proc.exitCode).toBeNull();
  });
});
