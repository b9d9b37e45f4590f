/**
 * PageDriver over a Puppeteer Page (puppeteer, puppeteer-core, puppeteer-extra).
 * `import type` only: nothing here loads Puppeteer.
 */
import type { Page, Frame, HTTPResponse, Dialog, CDPSession, ElementHandle } from 'puppeteer-core';
import type { ActionOptions, DialogInfo, FrameDriver, PageDriver, PageEvents, ResponseInfo } from './driver.js';
import { readResourceContent } from './cdp.js';
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

  evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return this.raw.evaluate(pageFunction(fn) as any, arg) as Promise<R>;
  }

  private async element(selector: string): Promise<ElementHandle<Element>> {
    const handle = await this.raw.$(selector);
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

class PuppeteerPage implements PageDriver {
  readonly framework = 'puppeteer' as const;
  private readonly wrapped = new WeakMap<Frame, PuppeteerFrame>();
  private cdp?: Promise<CDPSession | undefined>;

  constructor(readonly raw: Page) {}

  url(): string {
    return this.raw.url();
  }

  isClosed(): boolean {
    return this.raw.isClosed();
  }

  mainFrame(): FrameDriver {
    return this.frame(this.raw.mainFrame());
  }

  frames(): FrameDriver[] {
    const main = this.raw.mainFrame();
    return [main, ...this.raw.frames().filter((f) => f !== main)].map((f) => this.frame(f));
  }

  frame(raw: object): PuppeteerFrame {
    const f = raw as Frame;
    let w = this.wrapped.get(f);
    if (!w) {
      w = new PuppeteerFrame(f, this);
      this.wrapped.set(f, w);
    }
    return w;
  }

  on<E extends keyof PageEvents>(event: E, listener: PageEvents[E]): () => void {
    const page = this.raw;
    switch (event) {
      case 'close': {
        const l = () => (listener as PageEvents['close'])();
        page.on('close', l);
        return () => void page.off('close', l);
      }
      case 'framedetached': {
        const l = (f: Frame) => (listener as PageEvents['framedetached'])(this.frame(f));
        page.on('framedetached', l);
        return () => void page.off('framedetached', l);
      }
      case 'framenavigated': {
        const l = (f: Frame) => (listener as PageEvents['framenavigated'])(this.frame(f));
        page.on('framenavigated', l);
        return () => void page.off('framenavigated', l);
      }
      case 'response': {
        const l = (r: HTTPResponse) => (listener as PageEvents['response'])(toResponseInfo(r));
        page.on('response', l);
        return () => void page.off('response', l);
      }
      case 'dialog': {
        const l = (d: Dialog) => (listener as PageEvents['dialog'])(toDialogInfo(d));
        page.on('dialog', l);
        return () => void page.off('dialog', l);
      }
      default:
        return () => {};
    }
  }

  dialogListenerCount(): number {
    return (this.raw as unknown as { listenerCount?(e: string): number }).listenerCount?.('dialog') ?? 0;
  }

  async resourceContent(url: string): Promise<Buffer | undefined> {
    this.cdp ??= this.raw.createCDPSession().catch(() => undefined);
    const session = await this.cdp;
    if (!session) return undefined;
    try {
      return await readResourceContent(session, url);
    } catch {
      return undefined;
    }
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

function toDialogInfo(d: Dialog): DialogInfo {
  return { type: d.type(), message: d.message(), dismiss: () => d.dismiss(), accept: () => d.accept() };
}

/** Wraps a Puppeteer Page. */
export function puppeteerDriver(page: Page): PageDriver {
  return new PuppeteerPage(page);
}
