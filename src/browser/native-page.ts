/**
 * What the Playwright and Puppeteer page drivers share: frame wrapping, event subscription, the CDP
 * resource read, the dialog view. Structural only; each adapter supplies the three things that differ
 * (its frame wrapper, its response view, how it opens a CDP session).
 */
import { readResourceContent, type CdpSessionLike } from './cdp.js';
import type { DialogInfo, FrameDriver, Framework, PageDriver, PageEvents, RequestInfo, ResponseInfo } from './driver.js';

/** The part of a native Page (either framework) this class uses. */
export interface NativePage<F> {
  url(): string;
  isClosed(): boolean;
  mainFrame(): F;
  frames(): F[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: any, listener: (arg: any) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  off(event: any, listener: (arg: any) => void): unknown;
}

/** A native Request, the same in both frameworks for what is read here. */
interface NativeRequest {
  resourceType(): string;
  frame(): unknown;
}

/** A native Dialog, the same in both frameworks. */
interface NativeDialog {
  type(): string;
  message(): string;
  dismiss(): Promise<void>;
  accept(): Promise<void>;
}

export abstract class NativePageDriver<P extends NativePage<F>, F extends object, W extends FrameDriver> implements PageDriver {
  abstract readonly framework: Framework;
  private readonly wrapped = new WeakMap<F, W>();
  private cdp?: Promise<CdpSessionLike | undefined>;

  constructor(readonly raw: P) {}

  protected abstract wrapFrame(raw: F): W;
  /** A view of a native response (from the `response` event). */
  protected abstract responseInfo(raw: unknown): ResponseInfo;
  protected abstract openCdpSession(): Promise<CdpSessionLike>;

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

  frame(raw: object): W {
    const f = raw as F;
    let w = this.wrapped.get(f);
    if (!w) {
      w = this.wrapFrame(f);
      this.wrapped.set(f, w);
    }
    return w;
  }

  on<E extends keyof PageEvents>(event: E, listener: PageEvents[E]): () => void {
    const view = this.view(event);
    if (!view) return () => {};
    const deliver = listener as (arg?: unknown) => void;
    const l = (arg: unknown) => deliver(view(arg));
    // 'requestdone' is either framework's 'requestfinished' or 'requestfailed'
    const names = event === 'requestdone' ? ['requestfinished', 'requestfailed'] : [event];
    for (const name of names) this.raw.on(name, l);
    return () => {
      for (const name of names) this.raw.off(name, l);
    };
  }

  /** How each event's native argument is passed on (close passes nothing). */
  private view(event: keyof PageEvents): ((arg: unknown) => unknown) | undefined {
    switch (event) {
      case 'close':
        return () => undefined;
      case 'framedetached':
      case 'framenavigated':
        return (f) => this.frame(f as F);
      case 'response':
        return (r) => this.responseInfo(r);
      case 'request':
      case 'requestdone':
        return (r) => toRequestInfo(r as NativeRequest);
      case 'dialog':
        return (d) => toDialogInfo(d as NativeDialog);
      default:
        return undefined;
    }
  }

  dialogListenerCount(): number {
    return (this.raw as unknown as { listenerCount?(e: string): number }).listenerCount?.('dialog') ?? 0;
  }

  async resourceContent(url: string): Promise<Buffer | undefined> {
    this.cdp ??= this.openCdpSession().catch(() => undefined);
    const session = await this.cdp;
    if (!session) return undefined;
    try {
      return await readResourceContent(session, url);
    } catch {
      return undefined;
    }
  }
}

function toRequestInfo(r: NativeRequest): RequestInfo {
  return {
    raw: r,
    resourceType: r.resourceType(),
    get frame() {
      try {
        return r.frame() ?? undefined;
      } catch {
        return undefined; // Playwright: service-worker requests have no frame
      }
    },
  };
}

function toDialogInfo(d: NativeDialog): DialogInfo {
  return { type: d.type(), message: d.message(), dismiss: () => d.dismiss(), accept: () => d.accept() };
}
