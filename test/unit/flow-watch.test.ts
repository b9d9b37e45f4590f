/**
 * PageWatch names why a solve lost its page: a closing page detaches its frames too, and Puppeteer may report
 * the main frame detached before the page's 'close'; the call must still say the page was closed.
 */
import { describe, expect, it, vi } from 'vitest';
import type { FrameDriver, PageDriver, PageEvents } from '../../src/browser/driver.js';
import { Deadline } from '../../src/core/deadline.js';
import { PageClosedError } from '../../src/core/errors.js';
import { PageWatch } from '../../src/flow/watch.js';

/** Only what PageWatch uses: events, isClosed(), frame(raw), and a frame's url() and isDetached(). */
function fakePage() {
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  let closed = false;
  let detached = false;
  const nativeFrame = { name: 'login' };
  const frame = { raw: nativeFrame, url: () => 'http://127.0.0.1/login', isDetached: () => detached } as unknown as FrameDriver;
  const other = { raw: {}, url: () => 'http://127.0.0.1/ads' } as unknown as FrameDriver;
  const driver = {
    isClosed: () => closed,
    frame: (raw: object) => (raw === nativeFrame ? frame : other),
    on<E extends keyof PageEvents>(event: E, listener: PageEvents[E]) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (...args: unknown[]) => void);
      return () => set.delete(listener as (...args: unknown[]) => void);
    },
  } as unknown as PageDriver;
  const emit = (event: string, ...args: unknown[]) => {
    for (const l of listeners.get(event) ?? []) l(...args);
  };
  return { driver, frame, nativeFrame, emit, close: () => (closed = true), detach: () => (detached = true), listeners };
}

/** A watch on a fake page, and what a step that never settles ends with. */
function watching() {
  const p = fakePage();
  const watch = new PageWatch(p.driver, p.frame, new Deadline());
  const failed = watch.run('solve', new Promise(() => {})).catch((e: unknown) => e);
  return { p, watch, failed };
}

describe('PageWatch', () => {
  it("the captcha frame detached, then the page's 'close': the page was closed", async () => {
    const { p, watch, failed } = watching();
    p.emit('framedetached', p.frame);
    p.close();
    p.emit('close');
    const err = await failed;
    expect(err).toBeInstanceOf(PageClosedError);
    expect((err as Error).message).toMatch(/the page was closed \(during solve\)/);
    watch.dispose();
  });

  it('the page already closed when the detach settles: the page was closed, even without a close event', async () => {
    const { p, watch, failed } = watching();
    p.emit('framedetached', p.frame);
    p.close();
    expect((await failed as Error).message).toMatch(/the page was closed/);
    watch.dispose();
  });

  it('only the frame detached (the page stays open): the frame holding the captcha was detached, naming its URL', async () => {
    const { p, watch, failed } = watching();
    p.emit('framedetached', { url: () => 'x' } as unknown as FrameDriver); // another frame: ignored
    p.emit('framedetached', p.frame);
    const err = await failed;
    expect(err).toBeInstanceOf(PageClosedError);
    expect((err as Error).message).toMatch(/the frame holding the captcha was detached \(http:\/\/127\.0\.0\.1\/login\)/);
    watch.dispose();
  });

  it("a step rejected between the frame's detach and the page's 'close': the page was closed", async () => {
    const p = fakePage();
    const watch = new PageWatch(p.driver, p.frame, new Deadline());
    p.detach(); // no 'framedetached' event yet: the rejection comes first, as Puppeteer may order it
    const failed = watch.run('act', Promise.reject(new Error('Protocol error (Runtime.callFunctionOn): Target closed'))).catch((e: unknown) => e);
    setTimeout(() => {
      p.close();
      p.emit('close');
    }, 10);
    const err = await failed;
    expect(err).toBeInstanceOf(PageClosedError);
    expect((err as Error).message).toMatch(/the page was closed \(during act\)/);
    watch.dispose();
  });

  it('a step rejected after only the frame detached (the page stays open): the frame was detached, within the settle time', async () => {
    const p = fakePage();
    const watch = new PageWatch(p.driver, p.frame, new Deadline());
    p.detach();
    const start = Date.now();
    const err = await watch.run('capture', Promise.reject(new Error('Execution context was destroyed'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PageClosedError);
    expect((err as Error).message).toMatch(/the frame holding the captcha was detached \(during capture\)/);
    expect(Date.now() - start).toBeLessThan(1000);
    expect([...p.listeners.get('close')!].length).toBe(1); // settle() removed its own listener
    watch.dispose();
  });

  it('dispose() cancels a pending detach report and unsubscribes', async () => {
    const p = fakePage();
    const watch = new PageWatch(p.driver, p.frame, new Deadline());
    p.emit('framedetached', p.frame);
    watch.dispose();
    await new Promise((r) => setTimeout(r, 120));
    expect(watch.failure).toBeUndefined();
    expect([...p.listeners.values()].every((s) => s.size === 0)).toBe(true);
  });

  it("counts the captcha frame's XHR/fetch requests sent after the submit until they settle, then a short grace", async () => {
    const p = fakePage();
    const watch = new PageWatch(p.driver, p.frame, new Deadline());
    const req = (resourceType: string, frame: object = p.nativeFrame) => ({ raw: {}, resourceType, frame });
    const early = req('fetch');
    p.emit('request', early); // before the submit: not the answer's request
    expect(watch.awaitingResponse()).toBe(false);
    watch.expectNavigation(true);
    p.emit('request', req('image'));
    p.emit('request', req('xhr', {})); // another frame's
    expect(watch.awaitingResponse()).toBe(false);
    const login = req('fetch');
    p.emit('request', login);
    p.emit('requestdone', early);
    expect(watch.awaitingResponse()).toBe(true);
    p.emit('requestdone', login);
    expect(watch.awaitingResponse(50)).toBe(true); // settled just now: the page has not rendered the answer yet
    await new Promise((r) => setTimeout(r, 80));
    expect(watch.awaitingResponse(50)).toBe(false);
    watch.dispose();
  });

  it('a request sent more than 2 s after the submit (polling, analytics) is not the answer', () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    try {
      const p = fakePage();
      const watch = new PageWatch(p.driver, p.frame, new Deadline());
      watch.expectNavigation(true);
      vi.setSystemTime(1_000_000 + 2_500);
      p.emit('request', { raw: {}, resourceType: 'fetch', frame: p.nativeFrame });
      expect(watch.awaitingResponse()).toBe(false);
      watch.expectNavigation(true); // the next attempt's submit opens a new window
      p.emit('request', { raw: {}, resourceType: 'fetch', frame: p.nativeFrame });
      expect(watch.awaitingResponse()).toBe(true);
      watch.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it("the step API's hand-over: verifyAnswer's watch takes over the requests submitAnswer's watch counted", () => {
    const p = fakePage();
    const request = { raw: {}, resourceType: 'xhr', frame: p.nativeFrame };
    const submitting = new PageWatch(p.driver, p.frame, new Deadline());
    submitting.expectNavigation(true);
    p.emit('request', request);
    submitting.handOff();
    submitting.dispose(); // submitAnswer returns: its watch goes, the counting does not
    const verifying = new PageWatch(p.driver, p.frame, new Deadline());
    verifying.expectNavigation(true);
    expect(verifying.awaitingResponse()).toBe(false);
    verifying.takeOver();
    expect(verifying.awaitingResponse()).toBe(true);
    p.emit('requestdone', request);
    expect(verifying.awaitingResponse(0)).toBe(false);
    expect(verifying.sentRequests()).toBe(true);
    verifying.dispose();
    expect(p.listeners.get('request')?.size ?? 0).toBe(0);
    expect(p.listeners.get('requestdone')?.size ?? 0).toBe(0);
    // taken once: a second verify on the page starts from nothing
    const again = new PageWatch(p.driver, p.frame, new Deadline());
    again.expectNavigation(true);
    again.takeOver();
    expect(again.sentRequests()).toBe(false);
    again.dispose();
  });

  it('a hand-over nobody takes stops listening after a minute; one for another frame is dropped', () => {
    vi.useFakeTimers();
    try {
      const p = fakePage();
      const submitting = new PageWatch(p.driver, p.frame, new Deadline());
      submitting.expectNavigation(true);
      submitting.handOff();
      submitting.dispose();
      expect(p.listeners.get('request')?.size).toBe(1);
      vi.advanceTimersByTime(60_000);
      expect(p.listeners.get('request')?.size).toBe(0);

      const other = new PageWatch(p.driver, p.frame, new Deadline());
      other.expectNavigation(true);
      p.emit('request', { raw: {}, resourceType: 'fetch', frame: p.nativeFrame });
      other.handOff();
      other.dispose();
      const elsewhere = new PageWatch(p.driver, undefined, new Deadline());
      elsewhere.expectNavigation(true);
      elsewhere.takeOver();
      expect(elsewhere.sentRequests()).toBe(false);
      elsewhere.dispose();
      expect(p.listeners.get('request')?.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
