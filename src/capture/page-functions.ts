/**
 * Self-contained functions run in the page by the capture step (passed whole to `evaluate`, which hands
 * them the shadow-DOM-aware `dom` helpers).
 */
import type { InPageDom } from '../browser/in-page.js';

export interface ImageState {
  exists: boolean;
  tag: string;
  src: string;
  naturalWidth: number;
  naturalHeight: number;
  width: number;
  height: number;
  complete: boolean;
  background: string;
}

/** What the element shows right now. */
export function readImageState(handle: string, dom: InPageDom): ImageState {
  const el = dom.find(handle);
  if (!el) return { exists: false, tag: '', src: '', naturalWidth: 0, naturalHeight: 0, width: 0, height: 0, complete: false, background: '' };
  const r = el.getBoundingClientRect();
  const tag = el.tagName.toLowerCase();
  const img = el as HTMLImageElement;
  const canvas = el as HTMLCanvasElement;
  const m = /url\((['"]?)(.*?)\1\)/.exec(getComputedStyle(el).backgroundImage);
  return {
    exists: true,
    tag,
    src: tag === 'img' ? img.currentSrc || img.src : tag === 'input' ? (el as HTMLInputElement).src : '',
    naturalWidth: tag === 'img' ? img.naturalWidth : tag === 'canvas' ? canvas.width : Math.round(r.width),
    naturalHeight: tag === 'img' ? img.naturalHeight : tag === 'canvas' ? canvas.height : Math.round(r.height),
    width: r.width,
    height: r.height,
    complete: tag === 'img' ? img.complete && img.naturalWidth > 0 : true,
    background: m ? new URL(m[2] ?? '', document.baseURI).href : '',
  };
}

/** Reads a `blob:` URL in the page (no network) as base64. */
export async function readBlobUrl(src: string): Promise<string | null> {
  try {
    const res = await fetch(src);
    const buf = new Uint8Array(await res.arrayBuffer());
    let bin = '';
    for (let i = 0; i < buf.length; i += 0x8000) bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
    return btoa(bin);
  } catch {
    return null;
  }
}

/** Canvas read-out at natural size (an img drawn onto a canvas, or a canvas itself). null when tainted. */
export function readCanvas(handle: string, dom: InPageDom): string | null {
  const el = dom.find(handle);
  if (!el) return null;
  try {
    if (el.tagName === 'CANVAS') return (el as HTMLCanvasElement).toDataURL('image/png');
    const img = el as HTMLImageElement;
    if (!img.complete || img.naturalWidth === 0) return null;
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const ctx = c.getContext('2d');
    if (!ctx) return null;
    ctx.drawImage(img, 0, 0);
    return c.toDataURL('image/png');
  } catch {
    return null; // tainted (cross-origin without CORS)
  }
}

/** Inline SVG serialised as a standalone document with explicit size and inlined computed paint. */
export function serializeSvg(handle: string, dom: InPageDom): string | null {
  const el = dom.find(handle);
  if (!el || el.tagName.toLowerCase() !== 'svg') return null;
  const r = el.getBoundingClientRect();
  const clone = el.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  if (!clone.getAttribute('width') || /%/.test(clone.getAttribute('width') ?? '')) clone.setAttribute('width', String(Math.round(r.width)));
  if (!clone.getAttribute('height') || /%/.test(clone.getAttribute('height') ?? '')) clone.setAttribute('height', String(Math.round(r.height)));
  // Paint set by page CSS (not attributes) would be lost outside the page: copy the computed values.
  const src = [el, ...Array.from(el.querySelectorAll('*'))];
  const dst = [clone, ...Array.from(clone.querySelectorAll('*'))];
  for (let i = 0; i < src.length && i < 2000; i++) {
    const s = src[i]!;
    const d = dst[i]!;
    if (s === el) continue;
    const st = getComputedStyle(s);
    if (!d.getAttribute('fill')) d.setAttribute('fill', st.fill);
    if (!d.getAttribute('stroke') && st.stroke !== 'none') d.setAttribute('stroke', st.stroke);
  }
  const bg = getComputedStyle(el).backgroundColor;
  let xml = new XMLSerializer().serializeToString(clone);
  if (bg && bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') {
    xml = xml.replace(/>/, `><rect width="100%" height="100%" fill="${bg}"/>`);
  }
  return xml;
}
