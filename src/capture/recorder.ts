/**
 * Records the bytes of every image response of a page from the moment it is attached, so the captcha
 * can be captured from the response that rendered it: a one-time URL is never requested twice.
 * One recorder per page (WeakMap), attaching again is a no-op.
 */
import type { PageDriver, ResponseInfo } from '../browser/driver.js';
import { resolveTarget } from '../browser/detect.js';
import type { PageLike } from '../browser/driver.js';

/** One recorded image response. */
export interface RecordedImage {
  url: string;
  status: number;
  contentType: string;
  /** When the response arrived (ms since epoch). */
  at: number;
  /** The native frame that requested it, where known. */
  frame?: unknown;
  /** Resolves to the bytes, or `undefined` when the browser no longer had them. */
  bytes: Promise<Buffer | undefined>;
}

export interface ImageRecorderOptions {
  /**
   * How many responses to keep (oldest dropped first).
   * @default 300
   */
  maxEntries?: number;
  /**
   * Larger bodies are not kept (captchas are a few KB).
   * @default 2_000_000
   */
  maxBytes?: number;
  /**
   * Bytes kept in all, per page; the oldest responses are dropped beyond it.
   * @default 32_000_000
   */
  maxTotalBytes?: number;
}

const RECORDER_DEFAULTS = { maxEntries: 300, maxBytes: 2_000_000, maxTotalBytes: 32_000_000 } as const;

/** Handle returned by `attachImageRecorder`. */
export interface ImageRecorder {
  /** The latest response for exactly this URL (hash ignored). */
  get(url: string): RecordedImage | undefined;
  /** Every response recorded so far, oldest first. */
  entries(): RecordedImage[];
  /** Stops recording (the next `attachImageRecorder` starts a new one). */
  detach(): void;
}

const recorders = new WeakMap<object, ImageRecorder>();

function stripHash(url: string): string {
  const i = url.indexOf('#');
  return i < 0 ? url : url.slice(0, i);
}

function isImageResponse(r: ResponseInfo): boolean {
  if (r.status < 200 || r.status >= 300) return false;
  if (r.url.startsWith('data:')) return false;
  return r.resourceType === 'image' || r.contentType.startsWith('image/');
}

export function recorderFor(driver: PageDriver, options: ImageRecorderOptions = {}): ImageRecorder {
  const existing = recorders.get(driver.raw);
  if (existing) return existing;
  const maxEntries = options.maxEntries ?? RECORDER_DEFAULTS.maxEntries;
  const maxBytes = options.maxBytes ?? RECORDER_DEFAULTS.maxBytes;
  const maxTotalBytes = options.maxTotalBytes ?? RECORDER_DEFAULTS.maxTotalBytes;
  const byUrl = new Map<string, RecordedImage>();
  const order: RecordedImage[] = [];
  const sizes = new WeakMap<RecordedImage, number>();
  let total = 0;
  const evict = () => {
    while (order.length > maxEntries || (total > maxTotalBytes && order.length > 1)) {
      const old = order.shift()!;
      total -= sizes.get(old) ?? 0;
      if (byUrl.get(stripHash(old.url)) === old) byUrl.delete(stripHash(old.url));
    }
  };
  const off = driver.on('response', (r) => {
    if (!isImageResponse(r)) return;
    const entry: RecordedImage = { url: r.url, status: r.status, contentType: r.contentType, at: Date.now(), frame: r.frame, bytes: Promise.resolve(undefined) };
    entry.bytes = r.body().then(
      (b) => {
        if (b.length === 0 || b.length > maxBytes) return undefined;
        if (order.includes(entry)) {
          sizes.set(entry, b.length);
          total += b.length;
          evict();
        }
        return b;
      },
      () => undefined,
    );
    byUrl.set(stripHash(r.url), entry);
    order.push(entry);
    evict();
  });
  const offClose = driver.on('close', () => recorder.detach());
  const recorder: ImageRecorder = {
    get: (url) => byUrl.get(stripHash(url)),
    entries: () => [...order],
    detach: () => {
      off();
      offClose();
      if (recorders.get(driver.raw) === recorder) recorders.delete(driver.raw);
    },
  };
  recorders.set(driver.raw, recorder);
  return recorder;
}

/** The recorder of a page if one is attached (does not start one). */
export function existingRecorder(driver: PageDriver): ImageRecorder | undefined {
  return recorders.get(driver.raw);
}

/**
 * Starts recording image responses of `page` NOW (idempotent per page). Call it right after creating the
 * page (the plugins do) so the captcha's bytes are kept from the response that rendered it; otherwise the
 * flow falls back to the browser cache, a canvas read-out or a screenshot.
 */
export function attachImageRecorder(page: PageLike, options: ImageRecorderOptions = {}): ImageRecorder {
  const { driver } = resolveTarget(page, 'attachImageRecorder');
  return recorderFor(driver, options);
}
