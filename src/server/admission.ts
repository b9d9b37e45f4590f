/**
 * Admission control: at most `maxRunning` solves at once across all clients, at most `concurrency` per client,
 * at most `queueSize` requests waiting, at most `clientQueueSize` of them from one client. A request that finds
 * the queue full is refused at once (the server answers ERROR_SERVICE_UNAVALIABLE / 429; a client over its
 * share, ERROR_RATE_LIMIT / 429) instead of piling up; a waiting request whose client went away or
 * whose deadline passed leaves the queue. Waiters are served first-in first-out among the clients that have
 * a free per-client slot.
 */

export interface AdmissionLimits {
  maxRunning: number;
  concurrency: number;
  queueSize: number;
  /** Most requests one client may have waiting, so one client cannot fill the whole queue. */
  clientQueueSize: number;
}

interface Waiter {
  client: string;
  grant: (release: () => void) => void;
  fail: (reason: unknown) => void;
  cleanup: () => void;
}

/** Thrown by {@link Admission.acquire} when the queue is full (`perClient`: this client's share of it is). */
export class QueueFullError extends Error {
  constructor(
    readonly waiting: number,
    readonly perClient = false,
  ) {
    super(perClient ? `this client already has ${waiting} requests waiting` : `the queue is full (${waiting} waiting)`);
    this.name = 'QueueFullError';
  }
}

export class Admission {
  private running = 0;
  private readonly perClient = new Map<string, number>();
  private readonly queuedPerClient = new Map<string, number>();
  private readonly waiters: Waiter[] = [];
  peakQueued = 0;

  constructor(readonly limits: AdmissionLimits) {}

  get runningCount(): number {
    return this.running;
  }

  get queuedCount(): number {
    return this.waiters.length;
  }

  /** Whether `acquire(client)` would be refused now (no free slot for it, and the queue or its share full). */
  isFull(client: string): boolean {
    return this.refusal(client) !== undefined;
  }

  private refusal(client: string): QueueFullError | undefined {
    if (this.running < this.limits.maxRunning && (this.perClient.get(client) ?? 0) < this.limits.concurrency) return undefined;
    if (this.waiters.length >= this.limits.queueSize) return new QueueFullError(this.waiters.length);
    const mine = this.queuedPerClient.get(client) ?? 0;
    if (mine >= this.limits.clientQueueSize) return new QueueFullError(mine, true);
    return undefined;
  }

  /**
   * Resolves with a `release` function once a slot is free for `client`; rejects with QueueFullError when
   * the queue is full, or with `signal.reason` when the signal aborts while waiting. Call `release` once.
   */
  acquire(client: string, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.running < this.limits.maxRunning && (this.perClient.get(client) ?? 0) < this.limits.concurrency) {
      return Promise.resolve(this.take(client));
    }
    const refused = this.refusal(client);
    if (refused) return Promise.reject(refused);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          this.unqueue(client);
        }
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        client,
        grant: resolve,
        fail: reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.queuedPerClient.set(client, (this.queuedPerClient.get(client) ?? 0) + 1);
      if (this.waiters.length > this.peakQueued) this.peakQueued = this.waiters.length;
    });
  }

  private take(client: string): () => void {
    this.running++;
    this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const n = (this.perClient.get(client) ?? 1) - 1;
      if (n <= 0) this.perClient.delete(client);
      else this.perClient.set(client, n);
      this.pump();
    };
  }

  private unqueue(client: string): void {
    const n = (this.queuedPerClient.get(client) ?? 1) - 1;
    if (n <= 0) this.queuedPerClient.delete(client);
    else this.queuedPerClient.set(client, n);
  }

  /** Hands free slots to the oldest waiters whose client is under its limit. */
  private pump(): void {
    for (let i = 0; i < this.waiters.length && this.running < this.limits.maxRunning; ) {
      const w = this.waiters[i]!;
      if ((this.perClient.get(w.client) ?? 0) < this.limits.concurrency) {
        this.waiters.splice(i, 1);
        this.unqueue(w.client);
        w.cleanup();
        w.grant(this.take(w.client));
      } else {
        i++;
      }
    }
  }
}
