/**
 * One Deadline per public call: it fixes the time budget once, and every awaited step goes through
 * `race()` so a timeout or an abort wins over anything that hangs. Sleeps are abortable, listeners
 * are removed and timers cleared when the call ends.
 */
import { TimeoutError } from './errors.js';

export interface DeadlineOptions {
  /** Overall budget in ms; 0 or undefined = no limit. */
  timeout?: number;
  signal?: AbortSignal;
  /** Public name of the call, used in the timeout message (e.g. `solveImageCaptcha`). */
  label?: string;
}

export class Deadline {
  readonly timeout: number;
  readonly label: string;
  readonly startedAt = Date.now();
  readonly log: string[] = [];
  private readonly controller = new AbortController();
  private readonly timer?: ReturnType<typeof setTimeout>;
  private readonly onParentAbort?: () => void;
  private readonly parent?: AbortSignal;

  constructor(options: DeadlineOptions = {}) {
    const t = options.timeout;
    this.timeout = t !== undefined && Number.isFinite(t) && t > 0 ? t : 0;
    this.label = options.label ?? 'image-captcha-solver';
    this.parent = options.signal;
    if (this.parent?.aborted) {
      this.controller.abort(this.parent.reason);
    } else if (this.parent) {
      this.onParentAbort = () => this.controller.abort(this.parent!.reason);
      this.parent.addEventListener('abort', this.onParentAbort, { once: true });
    }
    if (this.timeout > 0 && !this.controller.signal.aborted) {
      this.timer = setTimeout(() => {
        this.controller.abort(
          new TimeoutError(`${this.label}: Timeout ${this.timeout}ms exceeded`, {
            timeout: this.timeout,
            hint: 'Raise the `timeout` option, or pass 0 for no limit',
            log: [...this.log],
          }),
        );
      }, Math.min(this.timeout, 2_147_483_647));
      this.timer.unref?.();
    }
  }

  /** Aborts when the deadline passes or the caller's signal aborts; reason is the TimeoutError or the caller's reason. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  /** Milliseconds left (Infinity when there is no limit). */
  remaining(): number {
    if (this.timeout === 0) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.startedAt + this.timeout - Date.now());
  }

  elapsed(): number {
    return Date.now() - this.startedAt;
  }

  /** Throws the abort reason if the deadline passed or the call was aborted. */
  check(): void {
    if (this.controller.signal.aborted) throw this.controller.signal.reason;
  }

  /** Adds a line to the call log (shown in errors). */
  note(line: string): void {
    this.log.push(`${this.elapsed()}ms ${line}`);
  }

  /** Resolves/rejects with `promise`, or rejects with the abort reason, whichever comes first. */
  race<T>(promise: Promise<T>): Promise<T> {
    const signal = this.controller.signal;
    if (signal.aborted) {
      promise.catch(() => {});
      return Promise.reject(signal.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  /** An abortable sleep. */
  wait(ms: number): Promise<void> {
    return sleep(ms, this.controller.signal);
  }

  /** A timeout for a sub-step: the smaller of `ms` and what is left. */
  budget(ms: number): number {
    const left = this.remaining();
    return Number.isFinite(left) ? Math.max(1, Math.min(ms, left)) : ms;
  }

  /** Removes listeners and clears the timer. Call when the public call settles. */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.parent && this.onParentAbort) this.parent.removeEventListener('abort', this.onParentAbort);
  }
}

/** Abortable sleep: rejects with `signal.reason` and removes its listener. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `fn` under a fresh Deadline and always disposes it. */
export async function withDeadline<T>(options: DeadlineOptions, fn: (deadline: Deadline) => Promise<T>): Promise<T> {
  const deadline = new Deadline(options);
  try {
    deadline.check();
    return await deadline.race(fn(deadline));
  } finally {
    deadline.dispose();
  }
}
