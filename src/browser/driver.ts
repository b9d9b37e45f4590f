/**
 * Our minimal, structural view of a browser page, so the flow never imports Playwright or Puppeteer.
 * `playwright.ts` and `puppeteer.ts` implement it (their page drivers on the shared base in `native-page.ts`):
 * url, frames, evaluate, element bytes/screenshot, type, click, waits (events), close/detach/navigation events. Nothing is patched onto
 * the native objects; frames are walked at call time.
 */

import type { PageFunction } from './in-page.js';

/** Which automation library a page comes from. */
export type Framework = 'playwright' | 'puppeteer';

/**
 * Anything with `url()` and `evaluate()`: a Playwright `Page`/`Frame` or a Puppeteer `Page`/`Frame`.
 * The public API takes this structural type so no `.d.ts` names a module the user may not have installed;
 * `image-captcha-solver/playwright` and `/puppeteer` narrow it to the native types.
 */
export interface PageLike {
  url(): string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  evaluate(...args: any[]): Promise<any>;
}

/** An image (or any) response seen on the page. */
export interface ResponseInfo {
  url: string;
  status: number;
  /** `image`, `xhr`, `fetch`, `document`, … as the framework reports it. */
  resourceType: string;
  /** The `content-type` header, lower case ('' when absent). */
  contentType: string;
  /** The native frame that made the request, where known. */
  frame?: unknown;
  body(): Promise<Buffer>;
}

/** A request made by the page: the same `raw` object when it starts and when it settles. */
export interface RequestInfo {
  /** The native request object. */
  readonly raw: object;
  /** `xhr`, `fetch`, `document`, `image`, … as the framework reports it. */
  readonly resourceType: string;
  /** The native frame that made it, where known. */
  readonly frame?: unknown;
}

/** A JS dialog (`alert`, `confirm`, `prompt`, `beforeunload`). */
export interface DialogInfo {
  type: string;
  message: string;
  dismiss(): Promise<void>;
  accept(): Promise<void>;
}

export interface ActionOptions {
  /** Milliseconds for this one action. */
  timeout: number;
}

/** One frame of a page (the main frame included). */
export interface FrameDriver {
  /** The native Frame object. */
  readonly raw: object;
  url(): string;
  isDetached(): boolean;
  parent(): FrameDriver | undefined;
  /** Runs a self-contained function in the frame. */
  evaluate<A, R>(fn: PageFunction<A, R>, arg: A): Promise<R>;
  /** PNG screenshot of the first element matching `selector` (animations off where supported). */
  screenshot(selector: string, options: ActionOptions): Promise<Buffer>;
  /** Clears the input and types `text` with real keyboard events. */
  typeText(selector: string, text: string, options: ActionOptions & { delay: number }): Promise<void>;
  click(selector: string, options: ActionOptions): Promise<void>;
  /** Presses a key with the element focused. */
  press(selector: string, key: string, options: ActionOptions): Promise<void>;
}

/** Event names a PageDriver reports. */
export interface PageEvents {
  close: () => void;
  framedetached: (frame: FrameDriver) => void;
  framenavigated: (frame: FrameDriver) => void;
  response: (response: ResponseInfo) => void;
  /** A request started. */
  request: (request: RequestInfo) => void;
  /** A request settled: finished or failed. */
  requestdone: (request: RequestInfo) => void;
  dialog: (dialog: DialogInfo) => void;
}

export interface PageDriver {
  readonly framework: Framework;
  /** The native Page object. */
  readonly raw: object;
  url(): string;
  isClosed(): boolean;
  mainFrame(): FrameDriver;
  /** Every frame, main frame first, walked now. */
  frames(): FrameDriver[];
  /** Wraps a native frame of this page (same wrapper for the same frame). */
  frame(raw: object): FrameDriver;
  /** Subscribes; returns the function that unsubscribes. */
  on<E extends keyof PageEvents>(event: E, listener: PageEvents[E]): () => void;
  /** How many listeners the user (and we) have on the native `dialog` event. */
  dialogListenerCount(): number;
  /**
   * The bytes of a resource the page already loaded, from the browser (CDP `Page.getResourceContent`),
   * without a new request. `undefined` when not available (non-Chromium, other process, evicted).
   */
  resourceContent(url: string): Promise<Buffer | undefined>;
}
