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
  /** The captcha frame's XHR/fetch requests since `expectNavigation()`. */
  private trail: RequestTrail;
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
    this.trail = new RequestTrail(driver, frame);
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
      const same = await f.evaluate((h: string, dom) => !!dom.find(h), handle);
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
    if (this.trail.frame !== this.frame) {
      this.trail.dispose();
      this.trail = new RequestTrail(this.driver, this.frame);
    }
    if (on) {
      this.trail.start();
      this.navigations = 0;
    } else this.trail.stop();
  }

  /**
   * Whether the captcha frame is still waiting for an answer to a request it sent since the submit (or got one
   * less than `graceMs` ago, so the page has not rendered it yet).
   */
  awaitingResponse(graceMs = 150): boolean {
    return this.trail.awaiting(graceMs);
  }

  /** Whether the captcha frame sent any XHR/fetch request since the submit. */
  sentRequests(): boolean {
    return this.trail.sent();
  }

  /**
   * The step API's hand-over: `submitAnswer` keeps counting its submit's requests after its call returns
   * (for HANDOFF_MS at most), and the `verifyAnswer` that follows on the same page and frame takes them over.
   */
  handOff(): void {
    if (!this.allowNavigation) return;
    const trail = this.trail;
    handedOff.get(this.driver)?.dispose();
    handedOff.set(this.driver, trail);
    trail.expire(HANDOFF_MS, () => {
      if (handedOff.get(this.driver) === trail) handedOff.delete(this.driver);
    });
    // this watch's dispose() must leave it running: give the watch a fresh (idle) one
    this.trail = new RequestTrail(this.driver, this.frame);
  }

  /** Takes over the requests a `submitAnswer` on this page and frame handed off (see handOff); call after expectNavigation. */
  takeOver(): void {
    const trail = handedOff.get(this.driver);
    if (!trail) return;
    handedOff.delete(this.driver);
    if (trail.frame !== this.frame) {
      trail.dispose();
      return;
    }
    trail.expire(0);
    this.trail.dispose();
    this.trail = trail;
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
    this.trail.dispose();
  }
}

/** How long a handed-off request trail waits for its `verifyAnswer`. */
const HANDOFF_MS = 60_000;

/** Per page: the request trail of the last `submitAnswer`, until a `verifyAnswer` takes it over. */
const handedOff = new WeakMap<PageDriver, RequestTrail>();

/** Counts the XHR/fetch requests a frame sends within ANSWER_REQUEST_WINDOW_MS of `start()`, and which of them are pending. */
class RequestTrail {
  private readonly pending = new Set<object>();
  private lastRequestAt = 0;
  private startedAt = 0;
  private counting = false;
  private readonly offs: Array<() => void>;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly driver: PageDriver,
    readonly frame: FrameDriver | undefined,
  ) {
    const ours = (r: RequestInfo): boolean => {
      if (!ANSWER_REQUESTS.has(r.resourceType) || !frame) return false;
      const f = r.frame;
      return f !== undefined && f !== null && driver.frame(f as object) === frame;
    };
    this.offs = [
      driver.on('request', (r) => {
        if (!this.counting || Date.now() - this.startedAt > ANSWER_REQUEST_WINDOW_MS || !ours(r)) return;
        this.pending.add(r.raw);
        this.lastRequestAt = Date.now();
      }),
      driver.on('requestdone', (r) => {
        if (this.pending.delete(r.raw)) this.lastRequestAt = Date.now();
      }),
    ];
  }

  start(): void {
    this.counting = true;
    this.pending.clear();
    this.lastRequestAt = 0;
    this.startedAt = Date.now();
  }

  stop(): void {
    this.counting = false;
    this.pending.clear();
    this.lastRequestAt = 0;
  }

  awaiting(graceMs: number): boolean {
    return this.pending.size > 0 || (this.lastRequestAt > 0 && Date.now() - this.lastRequestAt < graceMs);
  }

  sent(): boolean {
    return this.lastRequestAt > 0;
  }

  /** Disposes itself after `ms` (0: never), then calls `onExpire`. */
  expire(ms: number, onExpire?: () => void): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (ms <= 0) return;
    this.timer = setTimeout(() => {
      this.dispose();
      onExpire?.();
    }, ms);
    this.timer.unref?.();
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const off of this.offs.splice(0)) off();
  }
}
