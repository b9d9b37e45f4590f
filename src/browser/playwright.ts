/**
 * PageDriver over a Playwright Page (playwright, playwright-core, @playwright/test, playwright-extra).
 * `import type` only: nothing here loads Playwright.
 */
import type { Page, Frame, Response, CDPSession } from 'playwright-core';
import type { ActionOptions, FrameDriver, PageDriver, ResponseInfo } from './driver.js';
import { NativePageDriver } from './native-page.js';
import type { PageFunction } from './in-page.js';
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

  evaluate<A, R>(fn: PageFunction<A, R>, arg: A): Promise<R> {
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

class PlaywrightPage extends NativePageDriver<Page, Frame, PlaywrightFrame> {
  readonly framework = 'playwright' as const;

  protected wrapFrame(raw: Frame): PlaywrightFrame {
    return new PlaywrightFrame(raw, this);
  }

  protected responseInfo(raw: unknown): ResponseInfo {
    return toResponseInfo(raw as Response);
  }

  protected openCdpSession(): Promise<CDPSession> {
    return this.raw.context().newCDPSession(this.raw);
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

/** Wraps a Playwright Page. */
export function playwrightDriver(page: Page): PageDriver {
  return new PlaywrightPage(page);
}
