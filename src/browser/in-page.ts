/**
 * The DOM helpers every in-page function gets as its second argument (`dom`): queries and text that reach
 * into open shadow roots (web components: Lit, Stencil, Shoelace, Ionic, Salesforce LWC), which
 * `document.querySelector` and `innerText` do not. Closed shadow roots stay out of reach, as they do for any script.
 *
 * `inPageDom` is sent as source text with each in-page call (see serialize.ts), so it must stay self-contained.
 */

export interface InPageDom {
  /** Every open shadow root under `root` (the document by default), nested ones included. */
  shadowRoots(root?: ParentNode): ShadowRoot[];
  /** The first element matching `selector` in the document, else in an open shadow root (throws on a bad selector). */
  find(selector: string): Element | null;
  /** Every element matching `selector` under `root` and in the open shadow roots beneath it, light DOM first. */
  findAll(selector: string, root?: ParentNode): Element[];
  /** The element's parent, crossing from a shadow root's top level to its host. */
  parent(el: Element): Element | null;
  /** Like `el.closest(selector)`, crossing shadow boundaries up to the document. */
  closest(el: Element, selector: string): Element | null;
  /** The visible text of the document and of its open shadow roots, one block after another. */
  text(): string;
  /** What an image-like element shows: a canvas's pixels, an svg's markup, an image's URL or CSS background ('' for none). */
  shows(el: Element | null): string;
}

/** A function run in the page: its argument, and the DOM helpers. */
export type PageFunction<A, R> = (arg: A, dom: InPageDom) => R | Promise<R>;

export function inPageDom(): InPageDom {
  // One instance serves one synchronous in-page call: the document's shadow roots cannot change meanwhile.
  let documentRoots: ShadowRoot[] | undefined;
  const parent = (el: Element): Element | null => {
    if (el.parentElement) return el.parentElement;
    const p = el.parentNode;
    return p && p.nodeType === 11 && (p as ShadowRoot).host ? (p as ShadowRoot).host : null;
  };
  const walk = (root: ParentNode, out: ShadowRoot[]): ShadowRoot[] => {
    for (const el of Array.from(root.querySelectorAll('*'))) {
      const sr = el.shadowRoot;
      if (sr && out.length < 5000) {
        out.push(sr);
        walk(sr, out);
      }
    }
    return out;
  };
  // the document's roots: one walk over every element, once per call; a subtree's: its own walk (none on a page without any)
  const shadowRoots = (root: ParentNode = document): ShadowRoot[] =>
    root === document ? (documentRoots ??= walk(document, [])) : documentRoots?.length === 0 ? [] : walk(root, []);
  return {
    shadowRoots,
    find(selector) {
      const el = document.querySelector(selector);
      if (el) return el;
      for (const r of shadowRoots()) {
        const hit = r.querySelector(selector);
        if (hit) return hit;
      }
      return null;
    },
    findAll(selector, root = document) {
      const out = Array.from(root.querySelectorAll(selector));
      for (const r of shadowRoots(root)) out.push(...Array.from(r.querySelectorAll(selector)));
      return out;
    },
    parent,
    closest(el, selector) {
      for (let cur: Element | null = el; cur; cur = parent(cur)) if (cur.matches(selector)) return cur;
      return null;
    },
    text() {
      let text = document.body?.innerText ?? '';
      for (const r of shadowRoots()) {
        for (const child of Array.from(r.children)) {
          const t = (child as HTMLElement).innerText;
          if (t) text += `\n${t}`;
        }
        if (text.length > 50_000) break;
      }
      return text;
    },
    shows(el) {
      if (!el) return '';
      if (el.tagName === 'CANVAS') {
        try {
          return (el as HTMLCanvasElement).toDataURL();
        } catch {
          return 'tainted';
        }
      }
      if (el.tagName.toLowerCase() === 'svg') return el.innerHTML;
      const img = el as HTMLImageElement;
      return img.currentSrc || img.src || getComputedStyle(el).backgroundImage || '';
    },
  };
}
