/**
 * Setup and teardown shared by the e2e suites. Each `use…()` registers vitest hooks in the suite (file or
 * `describe`) it is called in and returns a handle whose getters read what the hooks made: read them inside
 * tests and hooks, never while the suite is being collected.
 *
 *   const env = useFixtureBrowser('playwright'); // fixture site + one Chromium for the suite
 *   it('…', async () => {
 *     const hp = await env.browser.newPage();
 *     await hp.goto(`${env.server.url}/login`);
 *   });
 *
 * Hooks run in the order they are registered and are undone in reverse (vitest's `sequence.hooks: 'stack'`),
 * so a suite's own hooks registered after a `use…()` call can rely on what it started.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { createFixtureSolver, startFixtureServer, type FixtureServer, type FixtureSolver } from '../../fixtures/site/index.js';
import puppeteerCore, { type Browser } from 'puppeteer-core';
import { addExtra } from 'puppeteer-extra';
import type { ImageCaptchaPluginInstance } from '../../src/plugins/extra.js';
import { pageFunction } from '../../src/browser/serialize.js';
import { CHROMIUM_LAUNCH } from './chromium.js';
import { LAUNCHERS, type AdapterName, type BrowserHarness, type HarnessPage } from './browsers.js';
import { speakCapSolver, startProviderServer, type ProviderServer } from './providers/server.js';

/** The fixture site of a suite. */
export interface FixtureSite {
  readonly server: FixtureServer;
  /** A fixture solver over `server` (answers from the site's own records), one per suite. */
  readonly solver: FixtureSolver;
  /** How many submissions on the page at `path` the site accepted. */
  okSubmissions(path: string): number;
}

export interface FixtureSiteOptions {
  /** `server.reset()` before every test. @default false */
  resetEach?: boolean;
}

/** The value a hook set, or a clear error when it is read before the hook ran (or after it failed). */
function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not started: read it inside a test or hook, after the suite's beforeAll`);
  return value;
}

/** The site's state and the steps that start and stop it, for helpers that run them inside hooks of their own. */
function fixtureSite(): { site: FixtureSite; start(): Promise<void>; stop(): Promise<void> } {
  let server: FixtureServer | undefined;
  let solver: FixtureSolver | undefined;
  const site: FixtureSite = {
    get server() {
      return started(server, 'the fixture site');
    },
    get solver() {
      return started(solver, 'the fixture solver');
    },
    okSubmissions(path) {
      return site.server.stats().submissions.filter((s) => s.page === path && s.ok).length;
    },
  };
  return {
    site,
    async start() {
      server = await startFixtureServer();
      solver = createFixtureSolver(server);
    },
    async stop() {
      await server?.close();
    },
  };
}

/** Starts the fixture site (fixtures/site) before the suite's tests and closes it after them. */
export function useFixtureSite(options: FixtureSiteOptions = {}): FixtureSite {
  const { site, start, stop } = fixtureSite();
  beforeAll(start);
  afterAll(stop);
  if (options.resetEach) beforeEach(() => site.server.reset());
  return site;
}

/**
 * The site plus one more thing, `key` on the handle: opened right after the site in the same beforeAll, closed
 * right before it in the same afterAll (so a suite has one start and one stop hook, with these timeouts).
 */
function useSiteWith<K extends string, V>(
  key: K,
  what: string,
  open: () => Promise<V>,
  close: (value: V) => Promise<void>,
  timeouts: { start?: number; stop?: number } = {},
): FixtureSite & { readonly [k in K]: V } {
  const { site, start, stop } = fixtureSite();
  let value: V | undefined;
  beforeAll(async () => {
    await start();
    value = await open();
  }, timeouts.start);
  afterAll(async () => {
    if (value !== undefined) await close(value);
    await stop();
  }, timeouts.stop);
  return Object.defineProperty(Object.create(site), key, { get: () => started(value, what) });
}

export interface FixtureBrowser extends FixtureSite {
  /** One browser for the suite; `newPage()` gives each test its own context. */
  readonly browser: BrowserHarness;
}

/**
 * The fixture site and one Chromium driven by `adapter` (test/support/browsers.ts), for a suite: started in one
 * beforeAll (60 s), closed browser first in one afterAll (30 s). Tests open and close their own pages.
 */
export function useFixtureBrowser(adapter: AdapterName): FixtureBrowser {
  return useSiteWith('browser', `${adapter}'s browser`, LAUNCHERS[adapter], (browser) => browser.close(), { start: 60_000, stop: 30_000 });
}

export interface CapSolverSite extends FixtureSite {
  /** A loopback CapSolver-protocol server (point CAPSOLVER_API_BASE at its `url`). */
  readonly provider: ProviderServer;
}

/**
 * The fixture site plus a loopback CapSolver-protocol server that accepts `apiKey` and answers from the site's
 * records ('zzzzz' when it has none), for suites that run the package as a user does. Before every test both are
 * reset and the provider is taught the protocol again.
 */
export function useCapSolverSite(apiKey: string): CapSolverSite {
  const env = useSiteWith('provider', 'the CapSolver-protocol server', startProviderServer, (provider) => provider.close());
  beforeEach(() => {
    env.server.reset();
    env.provider.reset();
    speakCapSolver(env.provider, {
      apiKey,
      answer: (task) => env.server.lookup({ body: String(task.body), websiteURL: task.websiteURL as string | undefined }).answer ?? 'zzzzz',
    });
  });
  return env;
}

/** A fresh directory under the OS temp dir for the suite (`prefix` + random), removed after it. */
export function useTempDir(prefix: string): { readonly path: string } {
  let path: string | undefined;
  beforeAll(() => {
    path = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (path) rmSync(path, { recursive: true, force: true });
  });
  return {
    get path() {
      return started(path, `the ${prefix} temp dir`);
    },
  };
}

/**
 * Real puppeteer-extra over puppeteer-core with the plugin `makePlugin()` returns `.use()`d, one Chromium launched
 * for the file (in its beforeAll) and closed after it. Read `plugin` and `browser` inside tests and hooks.
 */
export function usePuppeteerExtra(makePlugin: () => ImageCaptchaPluginInstance): { readonly plugin: ImageCaptchaPluginInstance; readonly browser: Browser } {
  let plugin: ImageCaptchaPluginInstance | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    plugin = makePlugin();
    const puppeteer = addExtra(puppeteerCore as never);
    puppeteer.use(plugin);
    browser = (await puppeteer.launch(CHROMIUM_LAUNCH)) as unknown as Browser;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  return {
    get plugin() {
      return started(plugin, 'the puppeteer-extra plugin');
    },
    get browser() {
      return started(browser, 'the puppeteer-extra browser');
    },
  };
}

/** The process's unhandled rejections while the suite runs (listened to from its beforeAll to its afterAll). */
export function collectUnhandledRejections(): unknown[] {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown) => void seen.push(reason);
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  return seen;
}

/** Returns `track(page)`: whatever a test tracks is closed after it (errors ignored), and handed back as is. */
export function closeAfterEach<T extends { close(): Promise<unknown> }>(): (item: T) => T {
  const open: T[] = [];
  afterEach(async () => {
    for (const item of open.splice(0)) await item.close().catch(() => {});
  });
  return (item) => {
    open.push(item);
    return item;
  };
}

/**
 * Opens `path` of the site on `page`, a page the plugin (autoSolve on) watches, and expects the plugin's
 * event to say solved, with one captcha solved and the site's own record of one accepted answer.
 */
export async function expectAutoSolved(
  plugin: Pick<ImageCaptchaPluginInstance, 'waitForAutoSolve'>,
  page: { goto(url: string): Promise<unknown> },
  site: FixtureSite,
  path = '/login',
): Promise<void> {
  const outcome = plugin.waitForAutoSolve(page, { timeout: 50_000 });
  await page.goto(`${site.server.url}${path}`);
  const event = await outcome;
  expect(event.type).toBe('solved');
  expect(event.results?.results.map((r) => r.solved)).toEqual([true]);
  expect(site.okSubmissions(path)).toBe(1);
}

/** A field as the guard names it: `#id`, `input[name="u"]`, or its tag. */
type FieldKey = string;

/**
 * In the page, once per document (an init script, so documents loaded after a form post have it too): while armed,
 * every `input` event on a field other than the answer input is logged, in sessionStorage so a form post keeps it.
 * `input` is composed, so typing inside open shadow roots reaches the document's listener too.
 */
const recordFieldInput = pageFunction((_: null): void => {
  const w = window as unknown as { __icsGuardOn?: boolean; __icsGuardMem?: string };
  if (w.__icsGuardOn) return;
  w.__icsGuardOn = true;
  const load = (): string | null => {
    try {
      return sessionStorage.getItem('__icsGuard');
    } catch {
      return w.__icsGuardMem ?? null;
    }
  };
  const save = (v: string): void => {
    try {
      sessionStorage.setItem('__icsGuard', v);
    } catch {
      w.__icsGuardMem = v;
    }
  };
  document.addEventListener('input', (e) => {
    const raw = load();
    const target = e.composedPath()[0];
    if (!raw || !(target instanceof Element) || !/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    const state = JSON.parse(raw) as { answer: string; log: string[] };
    let isAnswer = false;
    try {
      isAnswer = target.matches(state.answer);
    } catch {
      // an answer selector this document cannot parse matches nothing here
    }
    if (isAnswer) return;
    const f = target as HTMLInputElement;
    state.log.push(f.id ? `#${f.id}` : f.name ? `${f.tagName.toLowerCase()}[name="${f.name}"]` : f.tagName.toLowerCase());
    save(JSON.stringify(state));
  }, true);
});

/** The value of every user-editable field of the document (open shadow roots too), keyed by position, less the answer input. */
const fieldValues = pageFunction((answer: string, dom): Array<[FieldKey, string]> => {
  const matches = (el: Element): boolean => {
    try {
      return el.matches(answer);
    } catch {
      return false;
    }
  };
  return dom
    .findAll('input, textarea, select')
    .filter((el) => !/^(hidden|submit|button|image|file|reset)$/i.test((el as HTMLInputElement).type))
    .flatMap((el, i): Array<[FieldKey, string]> => {
      const f = el as HTMLInputElement;
      const key = `${f.id ? `#${f.id}` : f.name ? `${f.tagName.toLowerCase()}[name="${f.name}"]` : f.tagName.toLowerCase()} (field ${i})`;
      return matches(el) ? [] : [[key, f.type === 'checkbox' || f.type === 'radio' ? String(f.checked) : f.value]];
    });
});

/** Arms the recorder (a fresh log in sessionStorage) and marks this document as the armed one. */
const armFieldGuard = pageFunction((answer: string): void => {
  const w = window as unknown as { __icsGuardMem?: string; __icsGuardDoc?: boolean };
  const state = JSON.stringify({ answer, log: [] });
  try {
    sessionStorage.setItem('__icsGuard', state);
  } catch {
    w.__icsGuardMem = state;
  }
  w.__icsGuardDoc = true;
});

/** What the guard saw: the fields typed into (all documents since arming) and whether this is still the armed document. */
const readFieldGuard = pageFunction((_: null): { log: string[]; sameDocument: boolean } => {
  const w = window as unknown as { __icsGuardMem?: string; __icsGuardDoc?: boolean };
  let raw: string | null | undefined;
  try {
    raw = sessionStorage.getItem('__icsGuard');
  } catch {
    raw = w.__icsGuardMem;
  }
  return { log: raw ? (JSON.parse(raw) as { log: string[] }).log : [], sameDocument: w.__icsGuardDoc === true };
});

export interface FieldGuard {
  /** Fields other than the answer input that were typed into or changed value since the guard was armed. */
  violations(): Promise<string[]>;
  /** Fails the test when `violations()` is not empty. */
  expectUntouched(): Promise<void>;
}

interface NativeFrame {
  evaluate(fn: unknown, arg: unknown): Promise<unknown>;
  url(): string;
}

function framesOf(page: { frames(): NativeFrame[] }): NativeFrame[] {
  return page.frames();
}

/**
 * The suite-wide guard of issue 30: call it right before a solve with the selector of the real answer input (relative
 * to its frame). It snapshots every field value in every frame and logs every field typed into from then on (across
 * form posts); `violations()` lists each field other than the answer input that was typed into, or whose value on the
 * same document differs from the snapshot.
 */
export async function guardFields(hp: HarnessPage, answer: string): Promise<FieldGuard> {
  const page = hp.page as { frames(): NativeFrame[]; addInitScript?: (fn: unknown, arg: unknown) => Promise<void>; evaluateOnNewDocument?: (fn: unknown, arg: unknown) => Promise<unknown> };
  if (page.addInitScript) await page.addInitScript(recordFieldInput, null);
  else await page.evaluateOnNewDocument!(recordFieldInput, null);
  const before = new Map<NativeFrame, Map<FieldKey, string>>();
  for (const frame of framesOf(page)) {
    try {
      await frame.evaluate(recordFieldInput, null);
      await frame.evaluate(armFieldGuard, answer);
      before.set(frame, new Map((await frame.evaluate(fieldValues, answer)) as Array<[FieldKey, string]>));
    } catch {
      // a frame detached meanwhile holds nothing to guard
    }
  }
  const violations = async (): Promise<string[]> => {
    const out = new Set<string>();
    for (const frame of framesOf(page)) {
      const seen = (await frame.evaluate(readFieldGuard, null).catch(() => undefined)) as { log: string[]; sameDocument: boolean } | undefined;
      if (!seen) continue;
      for (const f of seen.log) out.add(`${f} was typed into (${frame.url()})`);
      const then = before.get(frame);
      if (!seen.sameDocument || !then) continue;
      const now = (await frame.evaluate(fieldValues, answer).catch(() => [])) as Array<[FieldKey, string]>;
      for (const [key, value] of now) if (then.has(key) && then.get(key) !== value) out.add(`${key} changed value (${frame.url()})`);
    }
    return [...out];
  };
  return {
    violations,
    async expectUntouched() {
      expect(await violations(), 'fields other than the answer input were typed into or changed').toEqual([]);
    },
  };
}
