/**
 * Task results kept for `getTaskResult` / `feedbackTask`: a Map bounded in size and age. Entries are inserted
 * in time order with one TTL, so the oldest is always first: expiry and eviction both trim from the head,
 * amortised O(1), with no timer.
 */

export class TtlStore<K, V> {
  private readonly map = new Map<K, { value: V; expires: number }>();

  constructor(
    readonly ttlMs: number,
    readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    this.sweep();
    return this.map.size;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, { value, expires: this.now() + this.ttlMs });
    this.sweep();
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
  }

  /** The value, or undefined when unknown or expired. */
  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Replaces the value of a live entry without changing its expiry. */
  update(key: K, value: V): void {
    const entry = this.map.get(key);
    if (entry) entry.value = value;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.map) {
      if (entry.expires > now) break;
      this.map.delete(key);
    }
  }
}
