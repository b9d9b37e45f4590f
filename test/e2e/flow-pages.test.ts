/**
 * The page flow on every fixture page, with no selector, over BOTH adapters (one shared suite): solved,
 * checked by the server, single-use respected, no second request for a one-time URL, original bytes
 * captured where the page has them, websiteURL = page.url(), and the body is an image of the captcha's
 * real size. A second pass answers wrong once: verify + refresh + retry must take exactly 2 attempts. In both, the
 * field guard (test/support/e2e.ts) fails the test when any field but the answer input was typed into or changed.
 */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createFixtureSolver, startFixtureServer, type FixtureServer, type FixturePageInfo } from '../../fixtures/site/index.js';
import { pageFunction } from '../../src/browser/serialize.js';
import { attachImageRecorder, solveImageCaptcha, type CaptchaResult } from '../../src/flow/index.js';
import { ADAPTERS, type HarnessPage } from '../support/browsers.js';
import { guardFields, useFixtureBrowser } from '../support/e2e.js';

/** Deliveries where the flow cannot send the server's own bytes (drawn or rasterised in the browser). */
const NO_ORIGINAL_BYTES = new Set(['canvas', 'svg']);
/**
 * Deliveries with an image URL the browser fetched: exactly one request may reach the server. `blob`: the page's
 * own fetch() is that request; the flow must read the object URL in the page, never the server URL again.
 */
const FETCHED = new Set(['url', 'static-file', 'css-background', 'injected', 'blob']);
/** Pages whose captcha is an animated GIF: the flow sends a still PNG made from its frames, not the server's bytes. */
const ANIMATED = new Set(['/easycaptcha']);
/** Pages that need a user action before the captcha shows. */
const PREPARE: Record<string, (p: HarnessPage) => Promise<void>> = {
  '/conditional': (p) => p.fill('#username', 'student01'),
};

interface Intrinsic {
  width: number;
  height: number;
}

/** In the page: the intrinsic size of the element `sel` names, found as the flow finds it (open shadow roots too: /shadow). */
const readIntrinsicSize = pageFunction((sel: string, dom): Intrinsic | undefined => {
  const el = dom.find(sel);
  if (!el) return undefined;
  if (el instanceof HTMLImageElement) return el.naturalWidth ? { width: el.naturalWidth, height: el.naturalHeight } : undefined;
  if (el instanceof HTMLCanvasElement) return { width: el.width, height: el.height };
  const r = el.getBoundingClientRect();
  return { width: Math.round(r.width), height: Math.round(r.height) };
});

/** The element's intrinsic size (img natural size, canvas bitmap, svg viewport) before the flow runs. */
async function intrinsicSize(hp: HarnessPage, info: FixturePageInfo, server: FixtureServer): Promise<Intrinsic | undefined> {
  const frame = info.selectors.frame ? hp.frame(info.origin === 'cross' ? server.crossOriginUrl : `${info.path}/`) : hp.page;
  if (!frame) return undefined;
  // pages that inject their captcha after load (/svg fetches it) may not have it yet: poll for up to 5 s
  for (const until = Date.now() + 5000; ; await new Promise((r) => setTimeout(r, 50))) {
    const size = await frame.evaluate(readIntrinsicSize, info.selectors.image);
    if (size || Date.now() > until) return size;
  }
}

for (const adapter of ADAPTERS) {
  describe(`flow over ${adapter}: every fixture page`, () => {
    const env = useFixtureBrowser(adapter);

    async function open(info: FixturePageInfo): Promise<HarnessPage> {
      const hp = await env.browser.newPage();
      attachImageRecorder(hp.page); // as the plugins do on page creation
      await hp.goto(env.server.url + info.path);
      await PREPARE[info.path]?.(hp);
      return hp;
    }

    const pages = () => env.server.pages;
    /** `maxlength` of the answer input, where the page's markup sets one (undefined: it has none). */
    const INPUT_MAXLENGTH: Record<string, number | undefined> = { '/login': 6, '/blob': 5, '/django': undefined };

    it('serves the pages this suite iterates over', () => {
      expect(pages().length).toBeGreaterThanOrEqual(15);
    });

    // vitest needs the list at collection time: the fixture site's page list is static, read it once.
    const paths = [
      '/login', '/iframe', '/iframe-cross', '/two-captchas', '/data-url', '/ruoyi', '/svg', '/canvas', '/canvas-client',
      '/css-background', '/react', '/xhr', '/lazy', '/queue', '/phpbb', '/cf7', '/botdetect', '/django', '/conditional', '/decoys', '/demo', '/blob', '/spinner', '/shadow', '/easycaptcha',
      '/forms/inline', '/forms/table', '/forms/div', '/forms/link-es', '/forms/nocharset',
    ];

    it('covers every page the fixture site has', () => {
      expect(pages().map((p) => p.path).sort()).toEqual([...paths].sort());
    });

    for (const path of paths) {
      it(`solves ${path} with no selector`, async () => {
        const info = env.server.page(path);
        env.server.reset();
        const solver = createFixtureSolver(env.server);
        const hp = await open(info);
        try {
          const before = info.delivery === 'injected' || path === '/conditional' ? undefined : await intrinsicSize(hp, info, env.server);
          const pageUrl = hp.page.url();
          const guard = await guardFields(hp, info.selectors.input);
          const r: CaptchaResult = await solveImageCaptcha(hp.page, { solver, timeout: 30_000 });
          await guard.expectUntouched();

          expect(r.solved).toBe(true);
          expect(r.verified, r.verification).toBe(true);
          expect(r.verification).toMatch(/^success: /);
          expect(r.attempts).toBe(1);
          expect(r.provider).toBe('fixture');
          expect(r.answers).toHaveLength(1);

          // what the solver was sent
          expect(solver.calls).toHaveLength(1);
          const task = solver.calls[0]!;
          expect(task.websiteURL).toBe(pageUrl);
          expect(task.body).toMatch(/^[A-Za-z0-9+/]+=*$/);
          // Queue-it pages ask for `queueit`; an answer input that takes digits only for `number` (/css-background)
          expect(task.module).toBe(info.module);
          // the answer input's maxlength is sent as task.maxLength (Securimage's login form: 6, the blob page: 5)
          if (path in INPUT_MAXLENGTH) expect(task.maxLength).toBe(INPUT_MAXLENGTH[path]);
          if (task.maxLength !== undefined) expect(r.text.length).toBeLessThanOrEqual(task.maxLength);
          const meta = await sharp(Buffer.from(task.body, 'base64')).metadata();
          expect([meta.width, meta.pageHeight ?? meta.height]).toEqual([r.capture.width, r.capture.height]);
          const raw = solver.solutions[0]!.raw as { matchedBytes: boolean };
          if (NO_ORIGINAL_BYTES.has(info.delivery)) {
            expect(before, 'intrinsic size measured before solving').toBeDefined();
            expect([r.capture.width, r.capture.height]).toEqual([before!.width, before!.height]);
          } else if (ANIMATED.has(path)) {
            // the frames of the GIF the server issued, combined into one PNG at the same size
            expect(r.capture.animation).toEqual({ frames: 5, still: 'composite', used: 5 });
            expect(r.capture.mime).toBe('image/png');
            expect(raw.matchedBytes).toBe(false);
            expect([r.capture.width, r.capture.height]).toEqual([before!.width, before!.height]);
          } else {
            // the exact bytes the server issued: the original image at its real size
            expect(raw.matchedBytes).toBe(true);
            if (before) expect([r.capture.width, r.capture.height]).toEqual([before.width, before.height]);
          }
          // a blob: URL is read inside the page (the object URL), never from the server again
          if (info.delivery === 'blob') expect(r.capture.method).toBe('blob');

          // what the server saw
          const stats = env.server.stats();
          const mine = stats.submissions.filter((s) => s.page === path);
          expect(mine.map((s) => s.reason)).toEqual(['ok']);
          const solved = stats.captchas.filter((c) => c.outcome === 'solved');
          expect(solved).toHaveLength(1);
          expect(solved[0]!.used).toBe(true);
          if (FETCHED.has(info.delivery)) expect(solved[0]!.imageRequests).toBe(1);
          for (const c of stats.captchas) expect(c.imageRequests).toBeLessThanOrEqual(1);
        } finally {
          await hp.close();
        }
      }, 45_000);
    }

    for (const path of paths) {
      it(`${path}: a wrong first answer is caught, refreshed and retried (2 attempts)`, async () => {
        const info = env.server.page(path);
        env.server.reset();
        const solver = createFixtureSolver(env.server, { wrongFirst: 1 });
        const hp = await open(info);
        try {
          const guard = await guardFields(hp, info.selectors.input);
          const r = await solveImageCaptcha(hp.page, { solver, timeout: 30_000 });
          await guard.expectUntouched();
          expect(r.attempts).toBe(2);
          expect(r.solved).toBe(true);
          expect(r.verified).toBe(true);
          expect(r.answers).toHaveLength(2);
          expect(solver.calls).toHaveLength(2);
          const reasons = env.server.stats().submissions.filter((s) => s.page === path).map((s) => s.reason);
          // a client-side check rejects the wrong answer in the browser: only the right one reaches the server
          expect(reasons).toEqual(info.submit === 'client-side' ? ['ok'] : ['wrong', 'ok']);
          for (const c of env.server.stats().captchas) expect(c.imageRequests).toBeLessThanOrEqual(1);
        } finally {
          await hp.close();
        }
      }, 45_000);
    }

    // /blob?revokeOnLoad=1 revokes the object URL once the image has loaded: the blob: URL in the DOM reads as nothing.
    async function solveRevokedBlob() {
      env.server.reset();
      const solver = createFixtureSolver(env.server);
      const hp = await env.browser.newPage();
      attachImageRecorder(hp.page);
      try {
        await hp.goto(`${env.server.url}/blob?revokeOnLoad=1`);
        const r = await solveImageCaptcha(hp.page, { solver, timeout: 30_000 });
        return { r, raw: solver.solutions[0]!.raw as { matchedBytes: boolean }, stats: env.server.stats() };
      } finally {
        await hp.close();
      }
    }

    it('/blob with the object URL revoked after load: solved, the one-time URL fetched once', async () => {
      const { r, stats } = await solveRevokedBlob();
      expect([r.solved, r.verified, r.attempts]).toEqual([true, true, 1]);
      expect([r.capture.width, r.capture.height]).toEqual([200, 50]);
      expect(stats.captchas.filter((c) => c.outcome === 'solved').map((c) => c.imageRequests)).toEqual([1]);
    }, 45_000);

    // The page revoked its object URL, so reading the blob: URL fails; the recorder still holds what the <img> loaded
    // from it (the server's bytes), which beats a canvas read-out (a re-encoded PNG).
    it('/blob with the object URL revoked after load: the original bytes are captured (recorder)', async () => {
      const { r, raw } = await solveRevokedBlob();
      expect(r.verified).toBe(true);
      expect(r.capture.method).toBe('network');
      expect(raw.matchedBytes).toBe(true);
    }, 45_000);

    it('without a recorder, reads the one-time image from the browser cache (no second request)', async () => {
      env.server.reset();
      const solver = createFixtureSolver(env.server);
      const hp = await env.browser.newPage();
      try {
        await hp.goto(`${env.server.url}/login`);
        // The flow starts a recorder of its own, and puppeteer can emit the image's `response` event after
        // goto() resolved (it holds responses back until their extra-info event arrives), so under load the
        // recorder may get the bytes first. `method: 'cache'` makes this test exercise the cache path alone.
        const r = await solveImageCaptcha(hp.page, '#captcha_image', { solver, timeout: 30_000, capture: { method: 'cache' } });
        expect(r.verified).toBe(true);
        expect(r.capture.method).toBe('cache');
        expect((solver.solutions[0]!.raw as { matchedBytes: boolean }).matchedBytes).toBe(true);
        const solved = env.server.stats().captchas.filter((c) => c.outcome === 'solved');
        expect(solved.map((c) => c.imageRequests)).toEqual([1]);
      } finally {
        await hp.close();
      }
    }, 45_000);

    it('web components: a selector and a success selector that are inside open shadow roots', async () => {
      env.server.reset();
      const solver = createFixtureSolver(env.server, { wrongFirst: 1 });
      const info = env.server.page('/shadow');
      const hp = await open(info);
      try {
        const r = await solveImageCaptcha(hp.page, info.selectors.image, { solver, timeout: 30_000, verify: info.success });
        expect([r.solved, r.verified, r.attempts]).toEqual([true, true, 2]);
        expect(r.verification).toBe(`success: ${info.success} appeared`);
        expect(r.selector).toBe(info.selectors.image);
        expect((solver.solutions[0]!.raw as { matchedBytes: boolean }).matchedBytes).toBe(true);
        expect(env.server.stats().submissions.map((s) => s.reason)).toEqual(['wrong', 'ok']);
      } finally {
        await hp.close();
      }
    }, 45_000);

    /**
     * Solves `path` with the built-in offline solver (no solver option, no API key) within `retries` refreshes;
     * returns the result and the server's verdict on each answer.
     */
    async function solveOffline(path: string, retries: number): Promise<{ r: CaptchaResult; submissions: string[] }> {
      env.server.reset();
      const hp = await open(env.server.page(path));
      try {
        const r = await solveImageCaptcha(hp.page, { timeout: 30_000, retries });
        expect([r.solved, r.verified], r.verification).toEqual([true, true]);
        expect(r.provider).toBe('local');
        const submissions = env.server.stats().submissions.map((s) => s.reason);
        expect(submissions.at(-1)).toBe('ok');
        return { r, submissions };
      } finally {
        await hp.close();
      }
    }

    it('an animated GIF whose every frame hides a character (EasyCaptcha): read by the offline model', async () => {
      // it must read all five characters, and no frame has them all
      const { r, submissions } = await solveOffline('/easycaptcha', 2);
      expect(r.capture).toMatchObject({ method: expect.stringMatching(/^(network|cache)$/), mime: 'image/png', animation: { frames: 5, still: 'composite' } });
      expect(r.text).toHaveLength(5);
      // the model reads ~99% of these composites: two wrong answers in a row would be a defect, not bad luck
      expect(submissions.length).toBeLessThanOrEqual(2);
      // one image request per attempt: the one-time URL was never fetched again
      expect(env.server.stats().captchas.filter((c) => c.outcome === 'solved').map((c) => c.imageRequests)).toEqual([1]);
    }, 60_000);

    it('an arithmetic captcha (RuoYi "3*4=?"): the offline solver types its value', async () => {
      // the math model reads the expression and the answer is its value; it reads ~89% of these, so up to 5 images
      const { r } = await solveOffline('/ruoyi', 4);
      expect(r.text).toMatch(/^-?\d{1,2}$/);
    }, 60_000);

    it('math: true on a sum with no "=" (svg-captcha\'s math mode, "7-3"): the offline solver types its value', async () => {
      // unasked, the offline solver never takes an expression without "=" (a text captcha's noise line can look like a minus)
      const site = await startFixtureServer({ styles: { '/login': 'svg-math' } });
      const hp = await env.browser.newPage();
      try {
        attachImageRecorder(hp.page);
        await hp.goto(`${site.url}/login`);
        const r = await solveImageCaptcha(hp.page, { math: true, timeout: 30_000, retries: 4 });
        expect([r.solved, r.verified], r.verification).toEqual([true, true]);
        expect(r.provider).toBe('local');
        expect(r.text).toMatch(/^-?\d{1,2}$/);
        expect(site.stats().submissions.map((x) => x.reason).at(-1)).toBe('ok');
      } finally {
        await hp.close();
        await site.close();
      }
    }, 60_000);

    it("capture: { animation: 'keep' } sends the animated GIF as the server issued it", async () => {
      env.server.reset();
      const solver = createFixtureSolver(env.server);
      const hp = await open(env.server.page('/easycaptcha'));
      try {
        const r = await solveImageCaptcha(hp.page, { solver, timeout: 30_000, capture: { animation: 'keep' } });
        expect([r.solved, r.verified]).toEqual([true, true]);
        expect(r.capture.mime).toBe('image/gif');
        expect(r.capture.animation).toBeUndefined();
        expect((solver.solutions[0]!.raw as { matchedBytes: boolean }).matchedBytes).toBe(true);
        expect((await sharp(Buffer.from(solver.calls[0]!.body, 'base64')).metadata()).pages).toBe(5);
      } finally {
        await hp.close();
      }
    }, 45_000);

    it('accepts a Frame and a selector inside it', async () => {
      env.server.reset();
      const solver = createFixtureSolver(env.server);
      const info = env.server.page('/iframe-cross');
      const hp = await open(info);
      try {
        const frame = hp.frame(env.server.crossOriginUrl);
        expect(frame).toBeTruthy();
        const r = await solveImageCaptcha(frame, info.selectors.image, { solver, timeout: 30_000 });
        expect(r.verified).toBe(true);
        expect(r.frameUrl.startsWith(env.server.crossOriginUrl)).toBe(true);
        expect(r.selector).toBe(info.selectors.image);
        // websiteURL is the top page's URL
        expect(solver.calls[0]!.websiteURL).toBe(hp.page.url());
      } finally {
        await hp.close();
      }
    }, 45_000);
  });
}
