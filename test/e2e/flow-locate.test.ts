/**
 * Detection and the lower-level steps, over BOTH adapters: traps from shared/PATTERNS.md on inline pages
 * (logos, avatars, QR codes, refresh/audio icons, svg icons, SMS-code decoys, honeypots, hidden templates),
 * candidates with confidence and reasons across frames, several captchas on one page, and the step API.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerSecret } from '../../src/core/redact.js';
import { createFixtureSolver } from '../../fixtures/site/index.js';
import {
  type ProgressEvent,
  captureCaptcha,
  findImageCaptchas,
  locateCaptcha,
  refreshCaptcha,
  solveImageCaptcha,
  solveImageCaptchas,
  submitAnswer,
  typeAnswer,
  verifyAnswer,
  attachImageRecorder,
} from '../../src/flow/index.js';
import { detectFramework } from '../../src/browser/detect.js';
import { ADAPTERS } from '../support/browsers.js';
import { guardFields, useFixtureBrowser } from '../support/e2e.js';

/** A PNG data URL of a given size (solid colour: geometry is what the detector sees). */
async function png(width: number, height: number, colour = '#ccc'): Promise<string> {
  const buf = await sharp({ create: { width, height, channels: 3, background: colour } }).png().toBuffer();
  return `data:image/png;base64,${buf.toString('base64')}`;
}

for (const adapter of ADAPTERS) {
  describe(`locate over ${adapter}`, () => {
    const env = useFixtureBrowser(adapter);
    let trapPage: string;

    beforeAll(async () => {
      const [logo, avatar, qr, icon, captcha, otpImg] = await Promise.all([png(160, 48), png(64, 64), png(120, 120), png(24, 24), png(150, 50, '#eee'), png(150, 50, '#ddd')]);
      trapPage = `<!doctype html><html><body>
<header><a href="/"><img id="logo" src="${logo}" width="160" height="48" alt="Company"></a></header>
<aside><img class="avatar" src="${avatar}" width="64" height="64"><img id="qr" class="qr-login" src="${qr}" width="120" height="120"></aside>
<template><img class="captcha" src="${captcha}" width="150" height="50"></template>
<div style="display:none"><img id="hidden-captcha" class="captcha" src="${captcha}" width="150" height="50"></div>
<form id="sms"><input name="phone" placeholder="Phone"><input name="sms_code" placeholder="验证码"><button type="button">获取验证码</button>
  <img id="promo" src="${otpImg}" width="150" height="50" alt="promo"></form>
<form id="login" action="/x" method="post">
  <input name="username" autocomplete="username"><input type="password" name="password">
  <input name="hp_field" style="position:absolute;left:-9999px" tabindex="-1">
  <div class="row"><img id="cap" src="${captcha}" width="150" height="50" alt="">
    <a href="#" class="reload" title="Get a new image"><img src="${icon}" width="24" height="24" alt="refresh"></a>
    <a href="#" class="audio"><img src="${icon}" width="24" height="24" alt="audio"></a>
    <svg class="svg-icon" width="24" height="24"><use href="#i-refresh"></use></svg></div>
  <input id="answer" name="code" maxlength="6" autocomplete="off">
  <input type="submit" name="refresh_vc" value="Refresh image"><button type="submit" id="go">Sign in</button>
</form></body></html>`;
    }, 60_000);

    it('tells the framework apart by shape', async () => {
      const hp = await env.browser.newPage();
      try {
        expect(detectFramework(hp.page)).toBe(adapter);
        expect(detectFramework(hp.page.mainFrame())).toBe(adapter);
        expect(detectFramework({ url: () => '', evaluate: async () => 0 })).toBeUndefined();
      } finally {
        await hp.close();
      }
    }, 30_000);

    it('avoids the traps: picks the captcha next to its input, its refresh link and the real submit', async () => {
      const hp = await env.browser.newPage();
      try {
        await hp.setContent(trapPage);
        const found = await findImageCaptchas(hp.page, { locateTimeout: 500 });
        expect(found.map((c) => c.selector)).toEqual(['#cap']);
        const c = found[0]!;
        expect(c.kind).toBe('img');
        expect(c.confidence).toBeGreaterThan(0.4);
        expect(c.reasons.join(' | ')).toMatch(/captcha-sized \(150×50\)/);
        expect(c.input?.selector).toBe('#answer');
        expect(c.submit?.method).toBe('click');
        expect(c.submit?.selector).toBe('#go');
        expect(c.refresh?.method).toBe('click');
        expect(c.refresh?.selector).toMatch(/reload/);
        expect(c.naturalWidth).toBe(150);
      } finally {
        await hp.close();
      }
    }, 30_000);

    it('tells an answer input that takes digits only (type=number, inputmode=numeric, a pattern of digits) from one that does not', async () => {
      const hp = await env.browser.newPage();
      try {
        const cases: Array<[string, boolean]> = [
          ['type="number"', true], ['inputmode="numeric"', true], ['pattern="[0-9]*"', true], ['pattern="\\d{4}"', true],
          ['pattern="^[0-9]{4,6}$"', true], ['pattern="[0-9a-z]*"', false], ['inputmode="text"', false], ['', false],
        ];
        for (const [attrs, digits] of cases) {
          await hp.setContent(trapPage.replace('<input id="answer" name="code"', `<input id="answer" name="code" ${attrs}`));
          const [c] = await findImageCaptchas(hp.page, { locateTimeout: 500 });
          expect(c?.input?.selector, attrs).toBe('#answer');
          expect(c?.input?.digitsOnly, attrs).toBe(digits ? true : undefined);
        }
      } finally {
        await hp.close();
      }
    }, 30_000);

    it('solves by typing with key events and submitting the real button (not the refresh-as-submit)', async () => {
      const hp = await env.browser.newPage();
      try {
        await hp.setContent(trapPage.replace('action="/x" method="post"', 'onsubmit="event.preventDefault(); window.__submitter = event.submitter && (event.submitter.id || event.submitter.name); document.body.insertAdjacentHTML(\'beforeend\', \'<p class=success>Welcome back</p>\'); this.remove();"'));
        await hp.evaluate(() => {
          (window as unknown as { __keys: number }).__keys = 0;
          document.getElementById('answer')!.addEventListener('keydown', (e) => {
            if (e.key.length === 1) (window as unknown as { __keys: number }).__keys++; // printable keys only
          });
        });
        const solver = { name: 'const', solve: async () => ({ text: 'ab12', provider: 'const', elapsedMs: 0 }) };
        const guard = await guardFields(hp, '#answer');
        const r = await solveImageCaptcha(hp.page, { solver, timeout: 15_000 });
        await guard.expectUntouched();
        expect(r.verified).toBe(true);
        expect(r.text).toBe('ab12');
        expect(await hp.evaluate(() => (window as unknown as { __submitter: string }).__submitter)).toBe('go');
        expect(await hp.evaluate(() => (window as unknown as { __keys: number }).__keys)).toBe(4);
        expect(r.capture.method).toBe('data-url');
        expect([r.capture.width, r.capture.height]).toEqual([150, 50]);
      } finally {
        await hp.close();
      }
    }, 30_000);

    it('finds candidates in same- and cross-origin iframes, with reasons', async () => {
      env.server.reset();
      const hp = await env.browser.newPage();
      try {
        await hp.goto(`${env.server.url}/iframe-cross`);
        const found = await findImageCaptchas(hp.page, { locateTimeout: 3000 });
        expect(found).toHaveLength(1);
        expect(found[0]!.frameUrl.startsWith(env.server.crossOriginUrl)).toBe(true);
        expect(found[0]!.reasons.some((r) => /captcha token/.test(r))).toBe(true);
        expect(found[0]!.input?.selector).toBe('#captcha_code');
      } finally {
        await hp.close();
      }
    }, 30_000);

    it('findImageCaptchas resolves to [] on a page without captchas', async () => {
      const hp = await env.browser.newPage();
      try {
        await hp.setContent('<p>nothing here</p>');
        expect(await findImageCaptchas(hp.page, { locateTimeout: 200 })).toEqual([]);
      } finally {
        await hp.close();
      }
    }, 30_000);

    it('busy pages (300 captcha-sized thumbnails and 3000 paragraphs; in web components; with 300 inputs; 1600 thumbnails): the form\'s captcha is found', async () => {
      // Each frame's scan has 3 s: a scan that looked at every control of a whole page section for every thumbnail took
      // longer than that here, so the captcha was never found. Not a timing test: it checks what is found.
      const [thumb, captcha] = await Promise.all([png(120, 40), png(150, 50, '#eee')]);
      const cards = Array.from({ length: 300 }, (_, i) => `<div class="card"><img class="thumb" src="${thumb}" width="120" height="40" alt="item ${i}"><span>Item ${i}</span> <a href="#i${i}">details</a></div>`);
      const text = Array.from({ length: 3000 }, (_, i) => `<p><span>paragraph ${i}</span></p>`).join('');
      const form = `<form action="/x" method="post"><input name="user" autocomplete="username"><img id="cap" class="captcha" src="${captcha}" width="150" height="50">
        <a href="#" class="reload">New image</a><input name="captcha_code" autocomplete="off" maxlength="6"><button type="submit">Sign in</button></form>`;
      const plain = `<main>${cards.join('')}${text}</main>${form}`;
      const components = `<main>${cards.map((c) => `<x-card>${c}</x-card>`).join('')}${text}</main><x-login>${form}</x-login><script>
for (const name of ['x-card', 'x-login']) customElements.define(name, class extends HTMLElement {
  connectedCallback() { if (!this.shadowRoot) { this.attachShadow({ mode: 'open' }).innerHTML = this.innerHTML; this.innerHTML = ''; } }
});</script>`;
      // more images than a scan examines (1500): the one with captcha words in its attributes is examined first
      const crowded = `<main>${Array.from({ length: 1600 }, (_, i) => `<img class="thumb" src="${thumb}" width="120" height="40" alt="item ${i}">`).join('')}</main>${form}`;
      // an order form: every card has a quantity field and a button, each input checked against each image
      const order = `<main>${cards.map((c, i) => c.replace('</div>', `<input name="qty${i}" size="3"> <button type="button">Send code</button></div>`)).join('')}${text}</main>${form}`;
      for (const html of [plain, components, crowded, order]) {
        const hp = await env.browser.newPage();
        try {
          await hp.setContent(html);
          const found = await findImageCaptchas(hp.page, { locateTimeout: 5_000 });
          expect(found.map((c) => c.selector)).toEqual(['#cap']);
          expect(found[0]!.input?.selector).toBe('input[name="captcha_code"]');
          expect(found[0]!.refresh?.selector).toBe('a.reload');
        } finally {
          await hp.close();
        }
      }
    }, 60_000);

    it('two forms with a captcha each: both found, solveImageCaptchas solves each', async () => {
      env.server.reset();
      const hp = await env.browser.newPage();
      try {
        attachImageRecorder(hp.page);
        await hp.goto(`${env.server.url}/two-captchas`);
        const found = await findImageCaptchas(hp.page, { locateTimeout: 3000 });
        expect(found.map((c) => c.selector).sort()).toEqual(['#login_captcha_image', '#register_captcha_image']);
        expect(new Set(found.map((c) => c.input?.selector)).size).toBe(2);
        const solver = createFixtureSolver(env.server);
        const guard = await guardFields(hp, '#login_captcha_code, #register_captcha_code');
        const all = await solveImageCaptchas(hp.page, { solver, timeout: 40_000 });
        await guard.expectUntouched();
        expect(all.errors.map((e) => e.error.message)).toEqual([]);
        expect(all.results).toHaveLength(2);
        expect(env.server.stats().submissions.map((s) => s.reason)).toEqual(['ok', 'ok']);
      } finally {
        await hp.close();
      }
    }, 60_000);

    it('the step API: locate, capture, type, submit, verify, refresh', async () => {
      env.server.reset();
      const hp = await env.browser.newPage();
      try {
        attachImageRecorder(hp.page);
        await hp.goto(`${env.server.url}/xhr`);
        const c = await locateCaptcha(hp.page);
        expect(c.selector).toBe('#captcha-img');
        const img = await captureCaptcha(hp.page, c);
        expect(img.method).toBe('network');
        const answer = env.server.answerFor(img.body);
        expect(answer).toBeTruthy();
        // a wrong answer first: verify says failure
        await typeAnswer(hp.page, c, 'zzzzz');
        await submitAnswer(hp.page, c);
        expect((await verifyAnswer(hp.page, c)).outcome).toBe('failure');
        // then the right one for the image shown now
        const c2 = await locateCaptcha(hp.page);
        const img2 = await captureCaptcha(hp.page, c2);
        expect(img2.body).not.toBe(img.body);
        await typeAnswer(hp.page, c2, env.server.answerFor(img2.body)!);
        await submitAnswer(hp.page, c2);
        expect((await verifyAnswer(hp.page, c2)).outcome).toBe('success');
        expect(env.server.stats().submissions.map((s) => s.reason)).toEqual(['wrong', 'ok']);
      } finally {
        await hp.close();
      }
    }, 45_000);

    it('the step API: verifyAnswer counts the request submitAnswer sent (a form swapped for a spinner is not a success), and a form post', async () => {
      // /spinner swaps the form for a spinner while its login fetch (sent during submitAnswer) is pending;
      // /login posts the form and renders the page again with an error
      for (const path of ['/spinner', '/login']) {
        env.server.reset();
        const hp = await env.browser.newPage();
        try {
          attachImageRecorder(hp.page);
          await hp.goto(`${env.server.url}${path}`);
          const c = await locateCaptcha(hp.page);
          expect(c.selector).toBe(env.server.page(path).selectors.image);
          await typeAnswer(hp.page, c, 'zzzzz');
          await submitAnswer(hp.page, c);
          const wrong = await verifyAnswer(hp.page, c);
          expect(env.server.stats().submissions.map((s) => s.reason)).toEqual(['wrong']);
          expect(wrong.outcome, `${path}: ${wrong.reason}`).toBe('failure');
          const c2 = await locateCaptcha(hp.page);
          await typeAnswer(hp.page, c2, env.server.latestAnswer(path)!);
          await submitAnswer(hp.page, c2);
          const right = await verifyAnswer(hp.page, c2);
          expect(env.server.stats().submissions.map((s) => s.reason)).toEqual(['wrong', 'ok']);
          expect(right.outcome, `${path}: ${right.reason}`).toBe('success');
        } finally {
          await hp.close();
        }
      }
    }, 60_000);

    it('debug artifacts per attempt (image, region shot, JSON with outcome; no API key) and progress events', async () => {
      env.server.reset();
      const dir = await mkdtemp(join(tmpdir(), 'ics-debug-'));
      const hp = await env.browser.newPage();
      try {
        attachImageRecorder(hp.page);
        await hp.goto(`${env.server.url}/demo`);
        const inner = createFixtureSolver(env.server, { wrongFirst: 1 });
        const secret = 'CAP-SECRETKEY-0123456789';
        registerSecret(secret);
        // a solver whose raw response echoes its key: artifacts must not carry it
        const solver = {
          name: 'fixture',
          solve: async (task: Parameters<typeof inner.solve>[0]) => ({ ...(await inner.solve(task)), raw: { clientKey: secret } }),
        };
        const events: ProgressEvent[] = [];
        const guard = await guardFields(hp, '#captcha');
        const r = await solveImageCaptcha(hp.page, { solver, debug: dir, timeout: 30_000, onProgress: (e) => events.push(e) });
        await guard.expectUntouched();
        expect(r.attempts).toBe(2);
        const [run] = await readdir(dir);
        const files = (await readdir(join(dir, run!))).sort();
        expect(files).toEqual(['attempt-1-region.png', 'attempt-1.json', 'attempt-1.png', 'attempt-2-region.png', 'attempt-2.json', 'attempt-2.png']);
        const j1 = JSON.parse(await readFile(join(dir, run!, 'attempt-1.json'), 'utf8'));
        expect(j1.outcome).toMatch(/^failure: /);
        expect(j1.capture.method).toBe('network');
        expect(j1.provider).toBe('fixture');
        expect(j1.text).toBe(r.answers[0]);
        expect(j1.timings).toHaveProperty('solve');
        const j2 = JSON.parse(await readFile(join(dir, run!, 'attempt-2.json'), 'utf8'));
        expect(j2.outcome).toMatch(/^success: /);
        const png1 = await readFile(join(dir, run!, 'attempt-1.png'));
        expect(env.server.answerFor(png1)).toBeTruthy();
        for (const f of files) expect((await readFile(join(dir, run!, f))).includes(secret)).toBe(false);
        const steps = events.map((e) => e.step);
        expect(steps.slice(0, 5)).toEqual(['locate', 'capture', 'solve', 'act', 'verify']);
        expect(steps).toContain('retry');
        expect(steps[steps.length - 1]).toBe('done');
        expect(events.filter((e) => e.step === 'done')[0]!.attempt).toBe(2);
      } finally {
        await hp.close();
        await rm(dir, { recursive: true, force: true });
      }
    }, 45_000);

    it('verify by a success selector, by a predicate, and submit: false (type only)', async () => {
      const info = env.server.page('/login');
      type Ctx = { frame: unknown; answer: string; navigated: boolean };
      const seen: boolean[] = [];
      const predicate = async (ctx: Ctx) => {
        const ok = await (ctx.frame as { evaluate(fn: (s: string) => boolean, s: string): Promise<boolean> }).evaluate((sel) => !!document.querySelector(sel), info.success);
        seen.push(ok);
        return ok;
      };
      for (const verify of [info.success, predicate]) {
        env.server.reset();
        const hp = await env.browser.newPage();
        try {
          attachImageRecorder(hp.page);
          await hp.goto(`${env.server.url}/login`);
          const guard = await guardFields(hp, info.selectors.input);
          const r = await solveImageCaptcha(hp.page, { solver: createFixtureSolver(env.server, { wrongFirst: 1 }), verify, timeout: 30_000 });
          await guard.expectUntouched();
          expect(r.attempts).toBe(2);
          expect(r.verified).toBe(true);
          expect(env.server.stats().submissions.map((x) => x.reason)).toEqual(['wrong', 'ok']);
        } finally {
          await hp.close();
        }
      }
      expect(seen).toEqual([false, true]); // the predicate judged both attempts
      env.server.reset();
      const hp = await env.browser.newPage();
      try {
        await hp.goto(`${env.server.url}/login`);
        const guard = await guardFields(hp, info.selectors.input);
        const r = await solveImageCaptcha(hp.page, { solver: createFixtureSolver(env.server), submit: false, timeout: 30_000 });
        await guard.expectUntouched();
        expect([r.solved, r.verified, r.attempts]).toEqual([true, false, 1]);
        expect(await hp.page.evaluate(() => (document.querySelector('#captcha_code') as HTMLInputElement).value)).toBe(r.text);
        expect(env.server.stats().submissions).toHaveLength(0);
      } finally {
        await hp.close();
      }
    }, 60_000);

    it('refreshCaptcha shows a new image', async () => {
      env.server.reset();
      const hp = await env.browser.newPage();
      try {
        attachImageRecorder(hp.page);
        await hp.goto(`${env.server.url}/login`);
        const c = await locateCaptcha(hp.page);
        const before = await captureCaptcha(hp.page, c);
        expect(await refreshCaptcha(hp.page, c)).toBe(true);
        const c2 = await locateCaptcha(hp.page, { locateTimeout: 3000 });
        let after = await captureCaptcha(hp.page, c2);
        for (let i = 0; i < 20 && after.body === before.body; i++) {
          await new Promise((r) => setTimeout(r, 100));
          after = await captureCaptcha(hp.page, await locateCaptcha(hp.page));
        }
        expect(after.body).not.toBe(before.body);
        expect(env.server.answerFor(after.body)).toBeTruthy();
      } finally {
        await hp.close();
      }
    }, 30_000);
  });
}
