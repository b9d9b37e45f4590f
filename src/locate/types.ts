/** Shapes shared by the in-page scanner and the Node side. */
import type { InputContender } from '../core/errors.js';

export type { InputContender };

/** What carries the challenge. */
export type CaptchaKind = 'img' | 'canvas' | 'svg' | 'background' | 'input-image' | 'element';

/** A control found next to the captcha. `handle` is a CSS selector for the element (a `data-ics` token we set). */
export interface ControlRef {
  handle: string;
  /** A readable selector (`#captcha_code`, `form > input:nth-of-type(3)`), for reports. */
  selector: string;
  /** Why it was chosen. */
  reasons: string[];
  /** The answer input's `maxlength` attribute (1–32), when it has one: the flow sends it as `task.maxLength`. */
  maxLength?: number;
  /**
   * Set when the answer input takes digits only (`type=number`, `inputmode=numeric`, or a `pattern` such as `[0-9]*`
   * or `\d{4}`): the flow then sends `task.module: 'number'` (digits only) unless you chose a module.
   */
  digitsOnly?: true;
  /**
   * Answer inputs only: set when no input is clearly the best (the contenders, best first, with their score and why);
   * the flow then stops before typing with InputAmbiguousError.
   */
  ambiguous?: InputContender[];
}


export interface SubmitRef extends Partial<ControlRef> {
  /** `click` a control, press `enter` in the input, or `form-submit` (requestSubmit) when Enter would hit a refresh button. */
  method: 'click' | 'enter' | 'form-submit';
  text?: string;
}

export interface RefreshRef extends Partial<ControlRef> {
  /** `click` a separate control, or `click-image` (the image refreshes itself on click). */
  method: 'click' | 'click-image';
}

/** One candidate as the in-page scanner reports it. */
export interface RawCandidate {
  kind: CaptchaKind;
  handle: string;
  selector: string;
  /** `currentSrc`, background URL, data:/blob: URL, or '' for canvas/svg. */
  src: string;
  /** Rendered size in CSS px. */
  width: number;
  height: number;
  /** Intrinsic size (img natural size, canvas bitmap size, svg viewport); 0 when unknown/not loaded. */
  naturalWidth: number;
  naturalHeight: number;
  /** `complete && naturalWidth > 0` for images; true for canvas/svg. */
  loaded: boolean;
  /** An image the browser gave up on (`complete`, no pixels: a 404, a broken or empty response). */
  broken?: boolean;
  lazy: boolean;
  confidence: number;
  score: number;
  reasons: string[];
  input?: ControlRef;
  submit?: SubmitRef;
  refresh?: RefreshRef;
  /** Same-origin canvas can be read out; false when tainted. */
  queueit: boolean;
}

export interface ScanArgs {
  /** Only this element (or the captcha inside it). */
  selector?: string;
  /** A token unique to this scan; handles are `[data-ics~="<tag>…"]`. */
  tag: string;
  /** Drop candidates below this confidence (ignored with a selector). */
  minConfidence: number;
  /** Answers this call already typed: an input holding one of them (a form that echoes it back) is not page-set. */
  typed?: string[];
}

export interface ScanResult {
  url: string;
  candidates: RawCandidate[];
  /** Elements looked at, for the not-found message. */
  examined: number;
  /** Rejected near-misses with their reason (first few), for the not-found message. */
  rejected: string[];
  selectorMatched: boolean;
}
