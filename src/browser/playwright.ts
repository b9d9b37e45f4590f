/**
 * PageDriver over a Playwright Page (playwright, playwright-core, @playwright/test, playwright-extra).
 * `import type` only: nothing here loads Playwright.
 */
import type { Page, Frame, Response, Dialog, CDPSession } from 'playwright-core';
import type { ActionOptions, DialogInfo, FrameDriver, PageDriver, PageEvents, ResponseInfo } from './driver.js';
import { readResourceContent } from './cdp.js';
import { pageFunction } from './serialize.js';

class PlaywrightFrame implements FrameDriver {
  constructor(readonly raw: Frame, private readonly page: PlaywrightPage) {}

  url(): string {
    return this.raw.url();
  }

  isDetached(): boolean {
    return this.raw.isDetached();
  }

  parent(): FrameDriver | undefined {
    const p = this.raw.parentFrame();
    return p ? this.page.frame(p) : undefined;
  }

  evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return this.raw.evaluate(pageFunction(fn) as any, arg) as Promise<R>;
  }

  async screenshot(selector: string, options: ActionOptions): Promise<Buffer> {
    return this.raw.locator(selector).first().screenshot({ animations: 'disabled', type: 'png', timeout: options.timeout });
  }

  async typeText(selector: string, text: string, options: ActionOptions & { delay: number }): Promise<void> {
    const input = this.raw.locator(selector).first();
    await input.fill('', { timeout: options.timeout });
    await input.pressSequentially(text, { delay: options.delay, timeout: options.timeout });
  }

  async click(selector: string, options: ActionOptions): Promise<void> {
    await this.raw.locator(selector).first().click({ timeout: options.timeout });
  }

  async press(selector: string, key: string, options: ActionOptions): Promise<void> {
    await this.raw.locator(selector).first().press(key, { timeout: options.timeout });
  }
}

class PlaywrightPage implements PageDriver {
  readonly framework = 'playwright' as const;
  private readonly wrapped = new WeakMap<Frame, PlaywrightFrame>();
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

  frame(raw: object): PlaywrightFrame {
    const f = raw as Frame;
    let w = this.wrapped.get(f);
    if (!w) {
      w = new PlaywrightFrame(f, this);
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
        return () => page.off('close', l);
      }
      case 'framedetached': {
        const l = (f: Frame) => (listener as PageEvents['framedetached'])(this.frame(f));
        page.on('framedetached', l);
        return () => page.off('framedetached', l);
      }
      case 'framenavigated': {
        const l = (f: Frame) => (listener as PageEvents['framenavigated'])(this.frame(f));
        page.on('framenavigated', l);
        return () => page.off('framenavigated', l);
      }
      case 'response': {
        const l = (r: Response) => (listener as PageEvents['response'])(toResponseInfo(r));
        page.on('response', l);
        return () => page.off('response', l);
      }
      case 'dialog': {
        const l = (d: Dialog) => (listener as PageEvents['dialog'])(toDialogInfo(d));
        page.on('dialog', l);
        return () => page.off('dialog', l);
      }
      default:
        return () => {};
    }
  }

  dialogListenerCount(): number {
    return (this.raw as unknown as { listenerCount?(e: string): number }).listenerCount?.('dialog') ?? 0;
  }

  async resourceContent(url: string): Promise<Buffer | undefined> {
    this.cdp ??= this.raw
      .context()
      .newCDPSession(this.raw)
      .catch(() => undefined);
    const session = await this.cdp;
    if (!session) return undefined;
    try {
      return await readResourceContent(session, url);
    } catch {
      return undefined;
    }
  }
}

function toResponseInfo(r: Response): ResponseInfo {
  const req = r.request();
  return {
    url: r.url(),
    status: r.status(),
    resourceType: req.resourceType(),
    contentType: (r.headers()['content-type'] ?? '').toLowerCase(),
    get frame() {
      try {
        return req.frame();
      } catch {
        return undefined; // service-worker requests have no frame
      }
    },
    body: () => r.body(),
  };
}

function toDialogInfo(d: Dialog): DialogInfo {
  return { type: d.type(), message: d.message(), dismiss: () => d.dismiss(), accept: () => d.accept() };
}

/** Wraps a Playwright Page. */
export function playwrightDriver(page: Page): PageDriver {
  return new PlaywrightPage(page);
}
