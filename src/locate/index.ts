/**
 * Locate: runs the in-page scanner in every frame (main, same-origin and cross-origin iframes, walked at
 * call time), waits for lazy/injected images to settle, and ranks the candidates.
 */
import type { FrameDriver, PageDriver } from '../browser/driver.js';
import type { Deadline } from '../core/deadline.js';
import { CaptchaNotFoundError } from '../core/errors.js';
import type { InPageDom } from '../browser/in-page.js';
import { scanFrame } from './scan.js';
import type { RawCandidate, ScanResult } from './types.js';

export type { RawCandidate, ScanResult, CaptchaKind, ControlRef, SubmitRef, RefreshRef } from './types.js';

/** A candidate with the frame it lives in. */
export interface Located extends RawCandidate {
  frame: FrameDriver;
  frameUrl: string;
}

export interface LocateParams {
  selector?: string;
  /** Only this frame and its descendants. */
  frame?: FrameDriver;
  minConfidence: number;
  /** How long to wait for a (loaded) captcha to appear. */
  waitMs: number;
  deadline: Deadline;
  /** Return every candidate found (sorted), not only once the best one is loaded. */
  all?: boolean;
  /** Wait until the captcha's src differs from this one (after a refresh). */
  notSrc?: string;
  /** Called before each scan round: throws to stop (page closed). */
  check?: () => void;
  /** Answers already typed by this call (see ScanArgs.typed). */
  typed?: string[];
}

let scanSerial = 0;

/** How long to wait for a new src after a refresh before accepting the same URL. */
const SAME_SRC_GRACE_MS = 1500;

function isDescendant(f: FrameDriver, root: FrameDriver): boolean {
  for (let cur: FrameDriver | undefined = f; cur; cur = cur.parent()) if (cur === root) return true;
  return false;
}

/** One timer-bounded evaluate per frame, in parallel. */
async function scanAll(driver: PageDriver, params: LocateParams): Promise<{ found: Located[]; searched: string[]; rejected: string[]; selectorMatched: boolean }> {
  const frames = driver.frames().filter((f) => !f.isDetached() && (!params.frame || isDescendant(f, params.frame)));
  const tag = `s${(++scanSerial).toString(36)}`;
  const results = await Promise.all(
    frames.map(async (frame): Promise<[FrameDriver, ScanResult | undefined]> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const r = await Promise.race([
          frame.evaluate(scanFrame, { selector: params.selector, tag, minConfidence: params.minConfidence, typed: params.typed }),
          new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), params.deadline.budget(3000));
          }),
        ]);
        return [frame, r];
      } catch {
        return [frame, undefined];
      } finally {
        if (timer) clearTimeout(timer);
      }
    }),
  );
  const found: Located[] = [];
  const rejected: string[] = [];
  const searched: string[] = [];
  let selectorMatched = false;
  for (const [frame, r] of results) {
    searched.push(frame.url() || 'about:blank');
    if (!r) continue;
    selectorMatched ||= r.selectorMatched;
    rejected.push(...r.rejected.map((x) => (frame === driver.mainFrame() ? x : `${x} [in ${r.url}]`)));
    for (const c of r.candidates) found.push({ ...c, frame, frameUrl: r.url });
  }
  found.sort((a, b) => b.score - a.score);
  return { found, searched, rejected, selectorMatched };
}

/** Scrolls a lazy image into view so the browser loads it. */
function scrollIntoView(handle: string, dom: InPageDom): void {
  dom.find(handle)?.scrollIntoView({ block: 'center', inline: 'nearest' });
}

/** How long a broken captcha image is given to be replaced (an onerror retry) before locate gives up. */
const BROKEN_GRACE_MS = 1_500;

/** A URL for a message: data: URLs cut short. */
function shortUrl(src: string): string {
  return src.length > 120 ? `${src.slice(0, 100)}…` : src;
}

/**
 * Finds captchas; resolves once the best one is loaded (or, with `all`, once the scan is stable),
 * throws CaptchaNotFoundError after `waitMs`, or sooner for a broken image (after one click on its refresh control).
 */
export async function locate(driver: PageDriver, params: LocateParams): Promise<Located[]> {
  const { deadline } = params;
  const start = Date.now();
  let last: Awaited<ReturnType<typeof scanAll>> | undefined;
  let delay = 50;
  let brokenSince = start;
  let refreshedBroken = false;
  for (;;) {
    params.check?.();
    last = await deadline.race(scanAll(driver, params));
    const best = last.found[0];
    // After a refresh, prefer a new src; a page that reuses the URL (new bytes, same src) is accepted after a
    // moment and the flow compares bytes instead.
    const ready = best && best.loaded && (!params.notSrc || best.src !== params.notSrc || best.kind !== 'img' || Date.now() - start >= SAME_SRC_GRACE_MS);
    if (ready) {
      deadline.note(`locate: ${best.selector} (${best.kind}, confidence ${best.confidence}) in ${best.frameUrl}`);
      return params.all ? last.found.filter((c) => c.loaded) : last.found;
    }
    if (best && best.lazy && !best.loaded) await best.frame.evaluate(scrollIntoView, best.handle).catch(() => {});
    if (Date.now() - start >= params.waitMs) break;
    // a broken image stays broken unless the page sets a new src: give its onerror handler a moment, then click the
    // captcha's own refresh control once (a flaky image server), then give up without waiting out the whole wait
    if (best?.broken && Date.now() - brokenSince >= Math.min(BROKEN_GRACE_MS, params.waitMs)) {
      const control = best.refresh?.handle ?? (best.refresh?.method === 'click-image' ? best.handle : undefined);
      if (refreshedBroken || !control) break;
      refreshedBroken = true;
      brokenSince = Date.now();
      await deadline.race(best.frame.click(control, { timeout: deadline.budget(3_000) })).catch(() => {});
      deadline.note(`locate: ${best.selector} failed to load; clicked its refresh control ${best.refresh?.selector ?? best.selector}`);
    }
    await deadline.wait(Math.min(delay, Math.max(1, params.waitMs - (Date.now() - start))));
    delay = Math.min(delay * 2, 250);
  }
  const what = params.selector ? `nothing matching ${JSON.stringify(params.selector)}${last.selectorMatched ? ' finished loading' : ''}` : 'no image captcha';
  const pending = last.found[0];
  const near = last.rejected.length ? ` Near misses: ${last.rejected.slice(0, 5).join('; ')}` : '';
  deadline.note(`locate: ${what} after ${Date.now() - start}ms`);
  throw new CaptchaNotFoundError(
    `solveImageCaptcha: ${what} found (searched ${last.searched.length} frame${last.searched.length === 1 ? '' : 's'}: ${last.searched.slice(0, 5).join(', ')}${pending && !pending.loaded ? `; ${pending.selector} ${pending.broken ? `failed to load (${shortUrl(pending.src)}): the site did not serve the image` : 'never finished loading'}` : ''}).${near}`,
    {
      hint: pending?.broken
        ? `The captcha image is broken (an error response or not an image)${refreshedBroken ? ', also after a click on its refresh control' : ''}: reload the page, then call again`
        : params.selector
        ? 'Check the selector (it must match the image, canvas, svg or a container of it)'
        : last.rejected.some((r) => r.endsWith('not visible'))
          ? 'A captcha-like element is hidden: fill the fields that reveal it (e.g. the username) first, or pass its selector'
          : 'Pass the captcha image selector as the second argument, or raise `locateTimeout` if it appears late',
      log: [...deadline.log],
    },
  );
}
