/**
 * The server's building blocks on their own: the bounded TTL result store, admission control (limits, FIFO,
 * per-client share, abort while waiting) and the dialect detection of root requests.
 */
import { describe, expect, it } from 'vitest';
import { Admission, QueueFullError } from '../../src/server/admission.js';
import { dialectOf } from '../../src/server/protocol.js';
import { TtlStore } from '../../src/server/store.js';

describe('TtlStore', () => {
  it('expires entries after the TTL and evicts the oldest beyond maxEntries', () => {
    let now = 1000;
    const store = new TtlStore<string, number>(100, 3, () => now);
    store.set('a', 1);
    now += 10;
    store.set('b', 2);
    store.set('c', 3);
    store.set('d', 4);
    expect(store.get('a')).toBeUndefined();
    expect([store.get('b'), store.get('c'), store.get('d')]).toEqual([2, 3, 4]);
    expect(store.size).toBe(3);
    store.update('b', 20);
    expect(store.get('b')).toBe(20);
    now += 95; // b, c, d were set at 1010 → expire at 1110
    expect(store.get('b')).toBe(20);
    now += 10;
    expect(store.get('b')).toBeUndefined();
    expect(store.size).toBe(0);
    store.update('zzz', 1); // unknown: ignored
    expect(store.get('zzz')).toBeUndefined();
  });
});

describe('Admission', () => {
  it('grants up to maxRunning, queues FIFO, refuses when the queue is full, and frees slots on release', async () => {
    const a = new Admission({ maxRunning: 2, concurrency: 10, queueSize: 2, clientQueueSize: 2 });
    const r1 = await a.acquire('x');
    const r2 = await a.acquire('y');
    const order: string[] = [];
    const w1 = a.acquire('x').then((r) => (order.push('w1'), r));
    const w2 = a.acquire('z').then((r) => (order.push('w2'), r));
    await expect(a.acquire('q')).rejects.toBeInstanceOf(QueueFullError);
    expect(a.isFull('q')).toBe(true);
    expect([a.runningCount, a.queuedCount]).toEqual([2, 2]);
    r1();
    r1(); // a second call is a no-op
    (await w1)();
    r2();
    (await w2)();
    expect(order).toEqual(['w1', 'w2']);
    expect([a.runningCount, a.queuedCount, a.peakQueued]).toEqual([0, 0, 2]);
  });

  it('per-client concurrency lets another client overtake; a client over its queue share is refused (perClient)', async () => {
    const a = new Admission({ maxRunning: 2, concurrency: 1, queueSize: 10, clientQueueSize: 1 });
    const x1 = await a.acquire('x');
    const x2 = a.acquire('x'); // waits: x is at its limit
    const refused = await a.acquire('x').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QueueFullError);
    expect((refused as QueueFullError).perClient).toBe(true);
    const y1 = await a.acquire('y'); // y is not limited by x
    expect(a.runningCount).toBe(2);
    x1();
    const x2r = await x2;
    expect(a.runningCount).toBe(2);
    x2r();
    y1();
    expect(a.runningCount).toBe(0);
  });

  it('a waiter whose signal aborts leaves the queue with the abort reason', async () => {
    const a = new Admission({ maxRunning: 1, concurrency: 1, queueSize: 5, clientQueueSize: 5 });
    const r = await a.acquire('x');
    const controller = new AbortController();
    const waiting = a.acquire('y', controller.signal);
    const reason = new Error('client went away');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(a.queuedCount).toBe(0);
    r();
    expect(a.runningCount).toBe(0);
  });
});

describe('dialectOf (root requests)', () => {
  it('tells Anti-Captcha / 2Captcha requests from CapSolver ones by their shape', () => {
    expect(dialectOf({ clientKey: 'k', task: { type: 'ImageToTextTask', body: 'x', module: 'common', score: 0.9 } })).toBe('capsolver');
    expect(dialectOf({ clientKey: 'k', task: { type: 'ImageToTextTask', body: 'x', case: true } })).toBe('capsolver');
    expect(dialectOf({ clientKey: 'k', taskId: 'abc-def' })).toBe('capsolver');
    expect(dialectOf({ clientKey: 'k', softId: 0, task: { type: 'ImageToTextTask', body: 'x' } })).toBe('taskapi');
    expect(dialectOf({ clientKey: 'k', task: { type: 'ImageToTextTask', body: 'x', numeric: 1 } })).toBe('taskapi');
    expect(dialectOf({ clientKey: 'k', task: { type: 'ImageToTextTask', body: 'x', recognizingThreshold: 90 } })).toBe('taskapi');
    expect(dialectOf({ clientKey: 'k', taskId: 123 })).toBe('taskapi');
  });
});
