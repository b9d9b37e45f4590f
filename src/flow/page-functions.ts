/**
 * Self-contained functions run in the page by the act/verify steps (passed whole to `evaluate`, which hands
 * them the shadow-DOM-aware `dom` helpers).
 */
import type { InPageDom } from '../browser/in-page.js';

export interface BaselineArgs {
  image: string;
  input?: string;
  /** The control the submit clicks, when it clicks one. */
  submit?: string;
}

export interface ProbeResult {
  /** The baseline is gone: this is a new document. */
  newDocument: boolean;
  readyState: string;
  imagePresent: boolean;
  imageVisible: boolean;
  srcChanged: boolean;
  inputPresent: boolean;
  inputValue: string;
  ariaInvalid: boolean;
  /** A new error message (error element, toast, text line) that was not there before the submit. */
  errorText?: string;
  /** A new success message. */
  successText?: string;
  /** DOM mutations since the baseline. */
  mutations: number;
  /** ms since the last mutation. */
  quietMs: number;
  /** The HTTP status the current document was served with (0 when the browser does not say). */
  httpStatus: number;
  /** The document is the browser's own error page (network error, connection dropped). */
  errorPage: boolean;
  /**
   * The submit reached the page: a submit event, a key press, or a click on the submit control since the baseline
   * (false when the click landed on something else, e.g. an invisible layer over the button). True on a new document.
   */
  reached: boolean;
}

const ERROR_SELECTORS =
  '.errorlist, .wpcf7-not-valid-tip, .text-danger, #errorMsg, #span_warn, .invalid-feedback, .error, .errors, .alert-danger, .alert-error, [role=alert], .el-message--error, .el-message, .toast, .help-block, .field-error, .err, .message-error, .notice-error, .flash, .form-error, .captcha-error';

/** Records what the page looks like before the submit (in `window.__icsVerify`). */
export function takeBaseline(args: BaselineArgs & { errorSelectors: string; successSelectors: string }, dom: InPageDom): void {
  const el = dom.find(args.image);
  const text = dom.text().slice(0, 50_000);
  const errors: string[] = [];
  for (const e of dom.findAll(args.errorSelectors).slice(0, 200)) {
    const t = ((e as HTMLElement).innerText ?? '').trim();
    if (t) errors.push(t);
  }
  const successes: string[] = [];
  for (const e of dom.findAll(args.successSelectors).slice(0, 200)) {
    const t = ((e as HTMLElement).innerText ?? '').trim();
    if (t) successes.push(t);
  }
  const input = args.input ? dom.find(args.input) : null;
  const state = {
    src: dom.shows(el),
    ariaInvalid: input?.getAttribute('aria-invalid') === 'true',
    successes,
    lines: text.split('\n').map((l) => l.trim()).filter(Boolean),
    errors,
    mutations: 0,
    lastMutation: Date.now(),
    observer: undefined as MutationObserver | undefined,
    reached: false,
    unlisten: () => {},
  };
  const w = window as unknown as { __icsVerify?: typeof state };
  w.__icsVerify?.observer?.disconnect();
  w.__icsVerify?.unlisten();
  const control = args.submit ? dom.find(args.submit) : null;
  const mark = (e: Event): void => {
    // composedPath: a click inside a shadow root reaches the document retargeted to the host
    if (e.type !== 'click' || (control && e.composedPath().some((n) => n instanceof Node && control.contains(n)))) state.reached = true;
  };
  // 'submit' does not leave a shadow root: listen on each open one too
  const roots: Array<Document | ShadowRoot> = [document, ...dom.shadowRoots()];
  for (const r of roots) for (const type of ['submit', 'keydown', 'click']) r.addEventListener(type, mark, true);
  state.unlisten = () => {
    for (const r of roots) for (const type of ['submit', 'keydown', 'click']) r.removeEventListener(type, mark, true);
  };
  state.observer = new MutationObserver((records) => {
    state.mutations += records.length;
    state.lastMutation = Date.now();
  });
  for (const r of roots) state.observer.observe(r === document ? document.documentElement : r, { subtree: true, childList: true, attributes: true, characterData: true });
  w.__icsVerify = state;
}

/** Compares the page with the baseline. */
export function probeAfterSubmit(args: BaselineArgs & { errorSelectors: string; successSelectors: string }, dom: InPageDom): ProbeResult {
  const ERROR_TEXT =
    /incorrect|invalid|wrong|not (correct|match|valid)|does ?n[o']t match|mismatch|failed|try again|expired|错误|不正确|失败|неверн|ошибк|не совпада/i;
  const SUCCESS_TEXT =
    /success|succeeded|thank you|thanks|welcome|logged in|signed in|verified|accepted|passed|has been (sent|submitted|received|saved|posted)|成功|спасибо|успешно|отправлено/i;
  const w = window as unknown as {
    __icsVerify?: { src: string; ariaInvalid: boolean; lines: string[]; errors: string[]; successes: string[]; mutations: number; lastMutation: number; reached: boolean };
  };
  const base = w.__icsVerify;
  const el = dom.find(args.image);
  const input = args.input ? (dom.find(args.input) as HTMLInputElement | null) : null;
  const visible = (e: Element): boolean => {
    const r = e.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    const st = getComputedStyle(e);
    return st.display !== 'none' && st.visibility !== 'hidden' && parseFloat(st.opacity) > 0.05;
  };
  const res: ProbeResult = {
    newDocument: !base,
    readyState: document.readyState,
    imagePresent: !!el,
    imageVisible: !!el && visible(el),
    srcChanged: !!el && !!base && dom.shows(el) !== base.src,
    inputPresent: !!input,
    inputValue: input?.value ?? '',
    ariaInvalid: input?.getAttribute('aria-invalid') === 'true' && !base?.ariaInvalid,
    mutations: base?.mutations ?? 0,
    quietMs: base ? Date.now() - base.lastMutation : 0,
    httpStatus: (performance.getEntriesByType('navigation')[0] as (PerformanceEntry & { responseStatus?: number }) | undefined)?.responseStatus ?? 0,
    errorPage: location.protocol === 'chrome-error:',
    reached: base ? base.reached : true,
  };
  // On a new document (after a navigation) there is no baseline: every message counts.
  const known = new Set(base?.errors ?? []);
  for (const e of dom.findAll(args.errorSelectors).slice(0, 200)) {
    const t = ((e as HTMLElement).innerText ?? '').trim();
    if (!t || known.has(t) || !visible(e)) continue;
    if (SUCCESS_TEXT.test(t) && !ERROR_TEXT.test(t)) continue;
    res.errorText = t.slice(0, 200);
    break;
  }
  const knownOk = new Set(base?.successes ?? []);
  for (const e of dom.findAll(args.successSelectors).slice(0, 200)) {
    const t = ((e as HTMLElement).innerText ?? '').trim();
    if (!t || knownOk.has(t) || !visible(e) || ERROR_TEXT.test(t)) continue;
    res.successText = t.slice(0, 200);
    break;
  }
  const lines = new Set(base?.lines ?? []);
  const now = dom.text().slice(0, 50_000).split('\n').map((l) => l.trim()).filter(Boolean);
  for (const line of now) {
    if (lines.has(line) || line.length > 300) continue;
    if (!res.errorText && ERROR_TEXT.test(line)) res.errorText = line.slice(0, 200);
    else if (!res.successText && SUCCESS_TEXT.test(line) && !ERROR_TEXT.test(line)) res.successText = line.slice(0, 200);
  }
  return res;
}

const SUCCESS_SELECTORS = '.success, .alert-success, .text-success, .valid-feedback, .el-message--success, [role=status], [id*=success i], [class*=success i]';

export { ERROR_SELECTORS, SUCCESS_SELECTORS };

/**
 * Submits by script: clicks the submit control from JS when given (its handlers and the form's default action
 * run; used when a real click did not reach it), else submits the input's form without a submitter (also the
 * `form-submit` method, for when Enter would hit a refresh button). Says what it did ('' when nothing could be done);
 * `disabled` when the control is disabled (a click, real or not, does nothing then).
 */
export function submitByScript(args: { input?: string; submit?: string }, dom: InPageDom): { how: string; disabled?: boolean } {
  const control = args.submit ? (dom.find(args.submit) as HTMLElement | null) : null;
  if (control) {
    if ((control as HTMLButtonElement).disabled || control.getAttribute('aria-disabled') === 'true') return { how: '', disabled: true };
    control.click();
    return { how: 'clicked the submit control from script' };
  }
  const el = args.input ? (dom.find(args.input) as HTMLInputElement | null) : null;
  const form = el ? (el.form ?? (dom.closest(el, 'form') as HTMLFormElement | null)) : null;
  if (!form) return { how: '' };
  if (typeof form.requestSubmit === 'function') form.requestSubmit();
  else form.submit();
  return { how: 'submitted the form from script (requestSubmit)' };
}

/** Whether a selector matches a visible element. */
export function isVisibleSelector(selector: string, dom: InPageDom): boolean {
  let el: Element | null = null;
  try {
    el = dom.find(selector);
  } catch {
    return false;
  }
  if (!el) return false;
  const r = el.getBoundingClientRect();
  const st = getComputedStyle(el);
  return r.width > 0 && r.height > 0 && st.display !== 'none' && st.visibility !== 'hidden';
}

/** What `checkTyped` found after typing. */
export interface TypedCheck {
  /** The answer input still exists. */
  present: boolean;
  /** Its value is the typed text (case, spaces and a `maxlength` cut aside). */
  landed: boolean;
  /** Other fields whose value changed while typing (readable selectors); they were restored. */
  changed: string[];
}

/** Records the value of every field of the frame (open shadow roots too) right before typing, in `window.__icsFields`. */
export function snapshotFields(_: null, dom: InPageDom): void {
  const values = new Map<Element, string>();
  for (const el of dom.findAll('input, textarea, select')) {
    if (/^(hidden|submit|button|image|file|reset)$/i.test((el as HTMLInputElement).type)) continue;
    const f = el as HTMLInputElement;
    values.set(el, f.type === 'checkbox' || f.type === 'radio' ? String(f.checked) : f.value);
  }
  (window as unknown as { __icsFields?: Map<Element, string> }).__icsFields = values;
}

/**
 * After typing: did the answer land in the answer input, and did any other field change since `snapshotFields`?
 * Changed fields are put back as they were (with input/change events, so frameworks see it). The answer input's
 * value is remembered as typed by us (`window.__icsTyped`), so the next scan does not count it as page-set.
 */
export function checkTyped(args: { input: string; text: string }, dom: InPageDom): TypedCheck {
  const w = window as unknown as { __icsFields?: Map<Element, string>; __icsTyped?: WeakMap<Element, string> };
  const input = dom.find(args.input) as HTMLInputElement | null;
  const norm = (s: string) => s.replace(/\s+/g, '').toLowerCase();
  const value = input?.value ?? '';
  const cut = input && input.maxLength > 0 ? args.text.slice(0, input.maxLength) : args.text;
  const landed = !!input && (norm(value) === norm(args.text) || norm(value) === norm(cut));
  if (input) (w.__icsTyped ??= new WeakMap()).set(input, value);
  const changed: string[] = [];
  for (const [el, before] of w.__icsFields ?? []) {
    if (el === input || !el.isConnected) continue;
    const f = el as HTMLInputElement;
    const checkable = f.type === 'checkbox' || f.type === 'radio';
    if ((checkable ? String(f.checked) : f.value) === before) continue;
    changed.push(f.id ? `#${f.id}` : f.name ? `${f.tagName.toLowerCase()}[name="${f.name}"]` : f.tagName.toLowerCase());
    if (checkable) f.checked = before === 'true';
    else Object.getOwnPropertyDescriptor(Object.getPrototypeOf(f), 'value')?.set?.call(f, before);
    for (const type of ['input', 'change']) f.dispatchEvent(new Event(type, { bubbles: true }));
  }
  return { present: !!input, landed, changed };
}
