/**
 * The one seam every solving backend implements (CapSolver, Anti-Captcha, CapMonster Cloud, 2Captcha,
 * the built-in offline model, a test solver). Nothing here names a browser framework.
 */

/** CapSolver's `ImageToTextTask`, the shape every solver accepts. */
export interface ImageToTextTask {
  /** The image, base64 with no `data:` prefix and no newlines. */
  body: string;
  /** The page the captcha was found on (`page.url()`). */
  websiteURL?: string;
  /** CapSolver recognition module: `common`, `queueit`, or another name the provider knows. */
  module?: string;
  /** Minimum recognition confidence, 0.8–1 (CapSolver semantics). */
  score?: number;
  /** `true` when the answer is case-sensitive. */
  case?: boolean;
  /**
   * The answer's length bounds, 0 = any (Anti-Captcha / 2Captcha field names). The offline `LocalSolver`
   * reads the most probable text of an allowed length; the task-API clouds pass them to their workers;
   * CapSolver has no such fields and does not send them.
   */
  minLength?: number;
  /** See {@link minLength}. */
  maxLength?: number;
  /**
   * `true` when the answer is the value of the arithmetic the image shows ("12-4", "3+5=?"): Anti-Captcha's and
   * 2Captcha's `math`. The offline `LocalSolver` then answers the value of any expression its math model reads,
   * also one without `=` (which it never takes on its own), and refuses an image where it reads none; the task-API
   * clouds pass it to their workers; CapSolver has no such field and does not send it.
   */
  math?: boolean;
  /**
   * Several images at once (CapSolver `images`: 1–9, for the `number` module), each base64 like `body`. The
   * answer then has one entry per image in {@link Solution.answers}, and `body` may be `''`.
   * Taken by `CapSolver` and the offline `LocalSolver`; the task-API clouds (Anti-Captcha, CapMonster, 2Captcha)
   * take one image and refuse it.
   */
  images?: string[];
}

/** Most images one {@link ImageToTextTask.images} may hold (CapSolver: "up to 9 base64 encoded images each time"). */
export const MAX_TASK_IMAGES = 9;

/** Per-call budget: an overall timeout in ms (0 = none) and an AbortSignal. */
export interface SolveOptions {
  signal?: AbortSignal;
  /** Overall time for this call in ms, retries and polling included. 0 = no limit. */
  timeout?: number;
}

export interface Solution {
  /**
   * The recognised text. For a multi-image task (`task.images`), the {@link answers} joined with no separator
   * (multi-image number captchas usually split one code across images): read `answers` when the images are
   * separate captchas.
   */
  text: string;
  /**
   * One answer per image of `task.images`, in the order sent. Set only for multi-image tasks; `undefined`
   * for a single `body`.
   */
  answers?: string[];
  /** The provider's task id, where it has one. */
  taskId?: string;
  /** Which backend answered (`capsolver`, `anticaptcha`, `capmonster`, `2captcha`, `local`, …). */
  provider: string;
  /** Wall time of the solve call in ms. */
  elapsedMs: number;
  /** Recognition confidence 0–1, where the backend reports one. */
  confidence?: number;
  /**
   * An arithmetic captcha's expression as read (e.g. `3+5=?`), where the backend computed the answer: `text` is its
   * value (the offline solver's math model).
   */
  expression?: string;
  /** The provider's raw response (never holds the API key). */
  raw?: unknown;
}

export interface Balance {
  balance: number;
  packages?: unknown[];
}

export interface Solver {
  /** Short provider name, as in `Solution.provider`. */
  readonly name: string;
  solve(task: ImageToTextTask, options?: SolveOptions): Promise<Solution>;
  /** Tell the provider an answer was wrong (refund / model feedback). */
  reportIncorrect?(solution: Solution, options?: SolveOptions): Promise<void>;
  /**
   * The page's verdict on `solution`, called by the page flow after it verified an answer: `accepted` is true when
   * the page confirmed it (`result.verified`), false when it rejected it (then `reportIncorrect` follows); no call
   * when the page said neither. Synchronous bookkeeping (e.g. `HybridSolver.stats()`); it must not throw.
   */
  feedback?(solution: Solution, accepted: boolean): void;
  getBalance?(options?: SolveOptions): Promise<Balance>;
  /** Release sockets, sessions and threads. */
  close?(): Promise<void>;
}

/** The phases of the page flow, used in errors and timings. */
export type Step = 'locate' | 'capture' | 'solve' | 'act' | 'verify';
