/**
 * Watches the page for the whole call: a closed page, a detached frame or a navigation before the submit
 * rejects the current step with PageClosedError (never a hang). Also records and dismisses JS dialogs,
 * and, after the submit, counts navigations and the captcha frame's pending XHR/fetch requests for the verify step.
 */
import type { DialogInfo, FrameDriver, PageDriver, RequestInfo } from '../browser/driver.js';
import type { Deadline } from '../core/deadline.js';
import { CaptchaSolverError, PageClosedError } from '../core/errors.js';
import type { Step } from '../core/types.js';

const CLOSED_MESSAGES =
  /Target (page, context or browser )?(has been )?closed|Target closed|Session closed|Execution context was destroyed|frame (was|got) detached|Navigating frame was detached|Cannot find context|Frame was detached|detached Frame|Page (has been )?closed|Protocol error.*(closed|detached)|Execution context is not available|Attempted to use detached/i;

/** Requests that mean "the page is waiting for its answer": a form sent by script. */
const ANSWER_REQUESTS = new Set(['xhr', 'fetch']);
/** Only requests sent this soon after the submit count as the answer's: later ones are polling, analytics, … */
const ANSWER_REQUEST_WINDOW_MS = 2_000;

/** How long a detached frame waits for its page's 'close' before it is reported as detached on its own. */
const DETACH_SETTLE_MS = 50;

export interface SeenDialog {
  type: string;
  message: string;
  at: number;
}

export class PageWatch {
  /** Set once the page, frame or document went away. */
  failure?: PageClosedError;
  /** Navigations of the captcha frame since `expectNavigation()`. */
  navigations = 0;
  readonly dialogs: SeenDialog[] = [];
  private allowNavigation = false;
  /** XHR/fetch requests of the captcha frame started since `expectNavigation()` and not settled yet. */
  private readonly pending = new Set<object>();
  private lastRequestAt = 0;
  private submittedAt = 0;
  private rejectFailure!: (err: PageClosedError) => void;
  private readonly failed: Promise<never>;
  private readonly offs: Array<() => void> = [];
  step: Step = 'locate';

  constructor(
    readonly driver: PageDriver,
    public frame: FrameDriver | undefined,
    private readonly deadline: Deadline,
    /** A handle that exists in the current document: its absence after a navigation event means a new document. */
    public probeHandle?: string,
  ) {
    this.failed = new Promise<never>((_, reject) => {
      this.rejectFailure = reject;
    });
    this.failed.catch(() => {});
    this.offs.push(driver.on('close', () => this.fail('the page was closed')));
    this.offs.push(
      driver.on('framedetached', (f) => {
        if (!this.frame || f !== this.frame) return;
        // a closing page detaches its frames, and Puppeteer may say so before 'close': name the cause that holds
        const url = f.url() || 'iframe';
        const timer = setTimeout(() => this.fail(this.driver.isClosed() ? 'the page was closed' : `the frame holding the captcha was detached (${url})`), DETACH_SETTLE_MS);
        this.offs.push(() => clearTimeout(timer));
      }),
    );
    this.offs.push(
      driver.on('framenavigated', (f) => {
        if (!this.frame || f !== this.frame) return;
        if (this.allowNavigation) {
          this.navigations++;
          return;
        }
        void this.checkDocument(f);
      }),
    );
    const ours = (r: RequestInfo): boolean => {
      if (!ANSWER_REQUESTS.has(r.resourceType) || !this.frame) return false;
      const f = r.frame;
      return f !== undefined && f !== null && this.driver.frame(f as object) === this.frame;
    };
    this.offs.push(
      driver.on('request', (r) => {
        if (!this.allowNavigation || Date.now() - this.submittedAt > ANSWER_REQUEST_WINDOW_MS || !ours(r)) return;
        this.pending.add(r.raw);
        this.lastRequestAt = Date.now();
      }),
    );
    this.offs.push(
      driver.on('requestdone', (r) => {
        if (this.pending.delete(r.raw)) this.lastRequestAt = Date.now();
      }),
    );
    this.offs.push(
      driver.on('dialog', (d: DialogInfo) => {
        if (d.type !== 'beforeunload') this.dialogs.push({ type: d.type, message: d.message, at: Date.now() });
        this.deadline.note(`dialog ${d.type}: ${d.message.slice(0, 80)}`);
        // Dismissing a beforeunload dialog would cancel the very navigation a submit starts.
        (d.type === 'beforeunload' ? d.accept() : d.dismiss()).catch(() => {});
      }),
    );
  }

  /** After a navigation event before the submit: same document (pushState/hash) or a new one? */
  private async checkDocument(f: FrameDriver): Promise<void> {
    const handle = this.probeHandle;
    if (!handle) {
      this.fail(`the page navigated away mid-solve (to ${f.url()})`);
      return;
    }
    try {
      const same = await f.evaluate((h: string) => !!document.querySelector(h), handle);
      if (!same && !this.allowNavigation) this.fail(`the page navigated away mid-solve (to ${f.url()})`);
    } catch {
      if (!this.allowNavigation) this.fail(`the page navigated away mid-solve (to ${f.url()})`);
    }
  }

  fail(what: string): void {
    if (this.failure) return;
    this.failure = new PageClosedError(`solveImageCaptcha: ${what} (during ${this.step}). Keep the page open and on the captcha until the call settles`, {
      step: this.step,
      log: [...this.deadline.log],
    });
    this.deadline.note(what);
    this.rejectFailure(this.failure);
  }

  /**
   * From now on navigations of the captcha frame are expected (after submit), and the XHR/fetch requests it sends
   * within ANSWER_REQUEST_WINDOW_MS are counted.
   */
  expectNavigation(on = true): void {
    this.allowNavigation = on;
    this.pending.clear();
    this.lastRequestAt = 0;
    this.submittedAt = Date.now();
    if (on) this.navigations = 0;
  }

  /**
   * Whether the captcha frame is still waiting for an answer to a request it sent since the submit (or got one
   * less than `graceMs` ago, so the page has not rendered it yet).
   */
  awaitingResponse(graceMs = 150): boolean {
    return this.pending.size > 0 || (this.lastRequestAt > 0 && Date.now() - this.lastRequestAt < graceMs);
  }

  /** Whether the captcha frame sent any XHR/fetch request since the submit. */
  sentRequests(): boolean {
    return this.lastRequestAt > 0;
  }

  /** Races a step against the deadline and the page going away; maps framework "closed" errors. */
  async run<T>(step: Step, promise: Promise<T>): Promise<T> {
    this.step = step;
    if (this.failure) {
      promise.catch(() => {});
      throw this.failure;
    }
    try {
      return await this.deadline.race(Promise.race([promise, this.failed]));
    } catch (err) {
      throw await this.settle(err, step);
    }
  }

  /**
   * map(), once a detached captcha frame has had its chance to be explained by the page's 'close'
   * (Puppeteer may reject a call on a closing page between the two events): waits at most DETACH_SETTLE_MS.
   */
  async settle(err: unknown, step: Step): Promise<unknown> {
    if (!this.failure && this.frame?.isDetached() && !this.driver.isClosed()) {
      let done!: () => void;
      const settled = new Promise<void>((resolve) => (done = resolve));
      const off = this.driver.on('close', done);
      const timer = setTimeout(done, DETACH_SETTLE_MS);
      this.failed.catch(done);
      await settled;
      off();
      clearTimeout(timer);
    }
    return this.map(err, step);
  }

  /** Turns a framework error caused by a closed page/detached frame into PageClosedError. */
  map(err: unknown, step: Step): unknown {
    if (this.deadline.aborted && err === this.deadline.signal.reason) return err;
    if (this.failure) return this.failure;
    if (err instanceof CaptchaSolverError) {
      if (!err.step) err.step = step;
      if (err.log.length === 0) err.log = [...this.deadline.log];
      return err;
    }
    const message = err instanceof Error ? err.message : String(err);
    const closed = this.driver.isClosed() || (this.frame?.isDetached() ?? false);
    if (closed || (CLOSED_MESSAGES.test(message) && !this.allowNavigation)) {
      const what = this.driver.isClosed() ? 'the page was closed' : this.frame?.isDetached() ? 'the frame holding the captcha was detached' : 'the page navigated away mid-solve';
      this.fail(what);
      this.failure!.step = step;
      return this.failure;
    }
    return err;
  }

  /** True for errors that only mean "the document changed under us" (retry after the navigation). */
  static isContextLoss(err: unknown): boolean {
    const message = err instanceof Error ? err.message : String(err);
    return CLOSED_MESSAGES.test(message);
  }

  dispose(): void {
    for (const off of this.offs.splice(0)) off();
  }
}
