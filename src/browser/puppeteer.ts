/**
 * PageDriver over a Puppeteer Page (puppeteer, puppeteer-core, puppeteer-extra).
 * `import type` only: nothing here loads Puppeteer.
 */
import type { Page, Frame, HTTPResponse, CDPSession, ElementHandle } from 'puppeteer-core';
import type { ActionOptions, FrameDriver, PageDriver, ResponseInfo } from './driver.js';
import { NativePageDriver } from './native-page.js';
import type { PageFunction } from './in-page.js';
import { pageFunction } from './serialize.js';

const NO_ANIMATIONS_ID = '__ics_no_animations';

class PuppeteerFrame implements FrameDriver {
  constructor(readonly raw: Frame, private readonly page: PuppeteerPage) {}

  url(): string {
    return this.raw.url();
  }

  isDetached(): boolean {
    return this.raw.detached;
  }

  parent(): FrameDriver | undefined {
    const p = this.raw.parentFrame();
    return p ? this.page.frame(p) : undefined;
  }

  evaluate<A, R>(fn: PageFunction<A, R>, arg: A): Promise<R> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return this.raw.evaluate(pageFunction(fn) as any, arg) as Promise<R>;
  }

  private async element(selector: string): Promise<ElementHandle<Element>> {
    // `pierce/` also searches open shadow roots (Playwright's selectors do that by default)
    const handle = (await this.raw.$(selector)) ?? (await this.raw.$(`pierce/${selector}`).catch(() => null));
    if (!handle) throw new Error(`no element matches ${selector}`);
    return handle;
  }

  async screenshot(selector: string, _options: ActionOptions): Promise<Buffer> {
    const handle = await this.element(selector);
    // Puppeteer has no `animations: 'disabled'`: freeze CSS animations for the shot.
    await this.raw
      .evaluate((id: string) => {
        if (document.getElementById(id)) return;
        const style = document.createElement('style');
        style.id = id;
        style.textContent = '*,*::before,*::after{animation:none!important;transition:none!important;caret-color:transparent!important}';
        (document.head ?? document.documentElement).appendChild(style);
      }, NO_ANIMATIONS_ID)
      .catch(() => {});
    try {
      return Buffer.from(await handle.screenshot({ type: 'png' }));
    } finally {
      await this.raw.evaluate((id: string) => document.getElementById(id)?.remove(), NO_ANIMATIONS_ID).catch(() => {});
      await handle.dispose().catch(() => {});
    }
  }

  async typeText(selector: string, text: string, options: ActionOptions & { delay: number }): Promise<void> {
    const handle = await this.element(selector);
    try {
      const hadValue = await handle.evaluate((el) => {
        (el as HTMLElement).focus();
        const input = el as HTMLInputElement;
        if (typeof input.select === 'function') input.select();
        return typeof input.value === 'string' && input.value.length > 0;
      });
      if (hadValue) await this.raw.page().keyboard.press('Backspace');
      await handle.type(text, { delay: options.delay });
    } finally {
      await handle.dispose().catch(() => {});
    }
  }

  async click(selector: string, _options: ActionOptions): Promise<void> {
    const handle = await this.element(selector);
    try {
      await handle.click();
    } finally {
      await handle.dispose().catch(() => {});
    }
  }

  async press(selector: string, key: string, _options: ActionOptions): Promise<void> {
    const handle = await this.element(selector);
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      await handle.press(key as any);
    } finally {
      await handle.dispose().catch(() => {});
    }
  }
}

class PuppeteerPage extends NativePageDriver<Page, Frame, PuppeteerFrame> {
  readonly framework = 'puppeteer' as const;

  protected wrapFrame(raw: Frame): PuppeteerFrame {
    return new PuppeteerFrame(raw, this);
  }

  protected responseInfo(raw: unknown): ResponseInfo {
    return toResponseInfo(raw as HTTPResponse);
  }

  protected openCdpSession(): Promise<CDPSession> {
    return this.raw.createCDPSession();
  }
}

function toResponseInfo(r: HTTPResponse): ResponseInfo {
  const req = r.request();
  return {
    url: r.url(),
    status: r.status(),
    resourceType: req.resourceType(),
    contentType: (r.headers()['content-type'] ?? '').toLowerCase(),
    frame: r.frame() ?? undefined,
    body: async () => Buffer.from(await r.buffer()),
  };
}

/** Wraps a Puppeteer Page. */
export function puppeteerDriver(page: Page): PageDriver {
  return new PuppeteerPage(page);
}
