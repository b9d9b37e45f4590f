/**
 * `image-captcha-solver/puppeteer-extra`: one plugin object for `puppeteer-extra` (`puppeteer.use(...)`) and
 * `playwright-extra` (`chromium.use(...)`).
 *
 * - Built on `puppeteer-extra-plugin`'s `PuppeteerExtraPlugin` base class when that optional peer is installed
 *   (loaded lazily, on the first `ImageCaptchaPlugin()` call); otherwise on a built-in base that honours the
 *   same contract (`_isPuppeteerExtraPlugin`, `name`, `defaults`/`opts`, `requirements`, `dependencies`, `data`,
 *   `_register`, `_bindBrowserEvents`, lifecycle hooks), so playwright-extra users need not install it.
 * - Sets `noPuppeteerShim`, so playwright-extra hands it native Playwright objects.
 * - Starts `attachImageRecorder(page)` as soon as a page is created (one-time captcha URLs are captured from
 *   the network, never re-requested). Pages that already exist when the plugin sees the browser
 *   (`puppeteer.connect()`, `chromium.connectOverCDP()`) are picked up too.
 * - Adds `solveImageCaptchas()`, `solveImageCaptcha()` and `findImageCaptchas()` to pages AND frames by patching
 *   the Page and Frame prototypes once (not frame by frame on `frameattached`, which misses frames that attached
 *   earlier): every frame of every page, including frames that existed before the plugin, has them. The methods
 *   resolve the page's plugin options at call time. For types, use `withImageCaptcha(page)` (no global type
 *   augmentation of Puppeteer or Playwright: it breaks builds where one of them is absent).
 * - `autoSolve: true` solves after every `load` of a page. Results and errors are reported through events
 *   (`plugin.on('solved' | 'failed', ...)`) and the `onAutoSolve` / `onAutoSolveError` callbacks; an auto-solve
 *   never produces an unhandled rejection and never writes to the console.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { attachImageRecorder, findImageCaptchas, solveImageCaptcha, solveImageCaptchas } from '../flow/index.js';
import { InvalidOptionError } from '../core/errors.js';
import type { Solver } from '../core/types.js';
import { createSolver, SOLVER_NAMES, type SolverName } from '../solvers/registry.js';

type SolveManyOptions = NonNullable<Parameters<typeof solveImageCaptchas>[1]>;
type SolveOneOptions = NonNullable<Parameters<typeof solveImageCaptcha>[2]>;
type FindOptions = NonNullable<Parameters<typeof findImageCaptchas>[1]>;
type FlowPage = Parameters<typeof solveImageCaptchas>[0];

/** What `solveImageCaptchas()` resolves to. */
export type ImageCaptchaResults = Awaited<ReturnType<typeof solveImageCaptchas>>;
/** What `solveImageCaptcha()` resolves to. */
export type ImageCaptchaResult = Awaited<ReturnType<typeof solveImageCaptcha>>;
/** What `findImageCaptchas()` resolves to. */
export type ImageCaptchaFound = Awaited<ReturnType<typeof findImageCaptchas>>;

/** The flow options every method of the plugin starts from (call options win). */
export type ImageCaptchaFlowOptions = SolveManyOptions & SolveOneOptions;

/** Reported after an auto-solve (`autoSolve: true`) on a page. */
export interface AutoSolveEvent {
  /** The native Puppeteer or Playwright page. */
  page: unknown;
  /** The page URL when the auto-solve started. */
  url: string;
  /** What `solveImageCaptchas` returned: `results` (solved) and `errors` (per captcha); empty for `skipped`. */
  results?: ImageCaptchaResults;
  /** Why it failed: the rejection, or the first per-captcha error (a `CaptchaSolverError` in most cases). */
  error?: unknown;
}

export interface ImageCaptchaPluginOptions extends Omit<ImageCaptchaFlowOptions, 'solver'> {
  /**
   * Who reads the images: a Solver instance, or a name (`'auto'`, `'capsolver'`, `'local'`, …) that the plugin
   * turns into one solver, created on first use and shared by every page (`plugin.close()` releases it).
   * @default the flow's default (`createSolver('auto')`)
   */
  solver?: Solver | SolverName;
  /**
   * Solve every captcha on a page after each `load` event of that page.
   * @default false
   */
  autoSolve?: boolean;
  /**
   * With `autoSolve`: how long to look for a captcha after each load before calling the page captcha-free
   * (a `skipped` event), in ms. Raise it for captchas injected late.
   * @default 3000
   */
  autoSolveLocateTimeout?: number;
  /** Called after each successful auto-solve that found a captcha. Errors thrown here are swallowed. */
  onAutoSolve?: (event: AutoSolveEvent) => void;
  /** Called when an auto-solve fails (never an unhandled rejection). Errors thrown here are swallowed. */
  onAutoSolveError?: (event: AutoSolveEvent) => void;
  /**
   * Start `attachImageRecorder(page)` on every new page.
   * @default true
   */
  recordImages?: boolean;
  /**
   * Add `solveImageCaptchas` / `solveImageCaptcha` / `findImageCaptchas` to the Page and Frame prototypes.
   * @default true
   */
  patchPages?: boolean;
}

/** The methods the plugin adds to pages and frames. */
export interface ImageCaptchaMethods {
  /** Finds, solves and (where configured) submits every image captcha on this page or frame. */
  solveImageCaptchas(options?: SolveManyOptions): Promise<ImageCaptchaResults>;
  /** Solves one image captcha (the first found, or the one `selector` names). */
  solveImageCaptcha(selectorOrOptions?: string | SolveOneOptions, options?: SolveOneOptions): Promise<ImageCaptchaResult>;
  /** Lists the image captchas on this page or frame without solving them. */
  findImageCaptchas(options?: FindOptions): Promise<ImageCaptchaFound>;
}

export type AutoSolveEventName = 'solved' | 'failed' | 'skipped';

/** The plugin object handed to `puppeteer.use()` / `chromium.use()`. */
export interface ImageCaptchaPluginInstance {
  readonly name: string;
  readonly _isPuppeteerExtraPlugin: boolean;
  /** Tells playwright-extra to hand this plugin native Playwright objects. */
  readonly noPuppeteerShim: true;
  /** The options given to `ImageCaptchaPlugin()`, merged with the defaults. */
  readonly opts: Record<string, unknown>;
  /** `'puppeteer-extra-plugin'` when built on the installed base class, `'builtin'` otherwise. */
  readonly base: 'puppeteer-extra-plugin' | 'builtin';
  onPageCreated(page: unknown): Promise<void>;
  onBrowser(browser: unknown, opts?: unknown): Promise<void>;
  afterLaunch(browserOrContext: unknown, opts?: unknown): Promise<void>;
  onPluginRegistered(env?: { framework?: string }): Promise<void>;
  /** Solves on any page or frame with this plugin's options (also works on pages the plugin never saw). */
  solveImageCaptchas(page: object, options?: SolveManyOptions): Promise<ImageCaptchaResults>;
  solveImageCaptcha(page: object, selectorOrOptions?: string | SolveOneOptions, options?: SolveOneOptions): Promise<ImageCaptchaResult>;
  findImageCaptchas(page: object, options?: FindOptions): Promise<ImageCaptchaFound>;
  on(event: AutoSolveEventName, listener: (event: AutoSolveEvent) => void): this;
  once(event: AutoSolveEventName, listener: (event: AutoSolveEvent) => void): this;
  off(event: AutoSolveEventName, listener: (event: AutoSolveEvent) => void): this;
  /**
   * Resolves with the next auto-solve outcome (`solved`, `failed` or `skipped`) on `page` (any page when
   * omitted). Rejects with an InvalidOptionError after `timeout` ms (default 30000).
   */
  waitForAutoSolve(page?: object, options?: { timeout?: number }): Promise<AutoSolveEvent & { type: AutoSolveEventName }>;
  /** Closes the solver the plugin created from a name (a Solver instance you passed stays yours to close). */
  close(): Promise<void>;
}

const PLUGIN_KEYS = new Set(['autoSolve', 'autoSolveLocateTimeout', 'onAutoSolve', 'onAutoSolveError', 'recordImages', 'patchPages']);
const OURS = Symbol.for('image-captcha-solver.plugin-method');

/* ------------------------------------------------------------------------------------------------------------ */
/* Page registry: which plugin's options apply to a page (resolved at call time).                                  */

interface PluginCore {
  flowOptions(): ImageCaptchaFlowOptions;
}

// Shared through globalThis so two copies of this module (ESM + CJS builds, or two installs) agree on which
// plugin adopted a page: the prototype methods may come from either copy.
const REGISTRY = Symbol.for('image-captcha-solver.page-plugins');
const pagePlugins: WeakMap<object, PluginCore> = ((globalThis as Record<symbol, unknown>)[REGISTRY] as WeakMap<object, PluginCore> | undefined) ??
  ((globalThis as Record<symbol, unknown>)[REGISTRY] = new WeakMap<object, PluginCore>()) as WeakMap<object, PluginCore>;

function pageOf(target: object): object {
  // A Frame (Puppeteer and Playwright) has page(); a Page has not.
  const t = target as { page?: () => unknown; mainFrame?: unknown };
  if (typeof t.page === 'function' && typeof t.mainFrame !== 'function') {
    try {
      const p = t.page();
      if (p && typeof p === 'object') return p;
    } catch {
      /* detached frame: fall through */
    }
  }
  return target;
}

/** The options of the plugin that adopted this page; none (the flow's defaults) for pages no plugin saw. */
function defaultsFor(target: object): ImageCaptchaFlowOptions {
  const plugin = pagePlugins.get(pageOf(target));
  return plugin ? plugin.flowOptions() : ({} as ImageCaptchaFlowOptions);
}

function mergeOne(
  defaults: ImageCaptchaFlowOptions,
  selectorOrOptions?: string | SolveOneOptions,
  options?: SolveOneOptions,
): [string | SolveOneOptions, SolveOneOptions | undefined] {
  if (typeof selectorOrOptions === 'string') return [selectorOrOptions, { ...defaults, ...(options ?? {}) } as SolveOneOptions];
  return [{ ...defaults, ...(selectorOrOptions ?? {}), ...(options ?? {}) } as SolveOneOptions, undefined];
}

function callOne(page: object, defaults: ImageCaptchaFlowOptions, a?: string | SolveOneOptions, b?: SolveOneOptions) {
  const [first, second] = mergeOne(defaults, a, b);
  return second === undefined
    ? solveImageCaptcha(page as FlowPage, first)
    : solveImageCaptcha(page as FlowPage, first as string, second);
}

const methods: ImageCaptchaMethods & ThisType<object> = {
  solveImageCaptchas(this: object, options?: SolveManyOptions) {
    return solveImageCaptchas(this as FlowPage, { ...defaultsFor(this), ...(options ?? {}) } as SolveManyOptions);
  },
  solveImageCaptcha(this: object, selectorOrOptions?: string | SolveOneOptions, options?: SolveOneOptions) {
    return callOne(this, defaultsFor(this), selectorOrOptions, options);
  },
  findImageCaptchas(this: object, options?: FindOptions) {
    return findImageCaptchas(this as FlowPage, { ...defaultsFor(this), ...(options ?? {}) } as FindOptions);
  },
};
for (const fn of Object.values(methods)) Object.defineProperty(fn, OURS, { value: true });

function patchPrototype(proto: object | null): void {
  if (!proto || proto === Object.prototype) return;
  for (const [name, fn] of Object.entries(methods)) {
    const existing = (proto as Record<string, unknown>)[name] as { [OURS]?: boolean } | undefined;
    if (existing !== undefined && !(typeof existing === 'function' && existing[OURS])) continue; // never clobber
    if (existing === fn) continue;
    Object.defineProperty(proto, name, { value: fn, configurable: true, writable: true, enumerable: false });
  }
}

/**
 * Adds the captcha methods to the prototypes of this page's class and of its frames' class (so every page and
 * frame of that library has them, whenever they were created), and returns the page typed with them.
 * The plugin does this for every page it sees; call it yourself for typing, or on a page the plugin never saw.
 */
export function withImageCaptcha<T extends object>(pageOrFrame: T): T & ImageCaptchaMethods {
  patchPrototype(Object.getPrototypeOf(pageOrFrame));
  try {
    const page = pageOf(pageOrFrame) as { mainFrame?: () => object };
    if (page !== (pageOrFrame as object)) patchPrototype(Object.getPrototypeOf(page));
    const main = typeof page.mainFrame === 'function' ? page.mainFrame() : undefined;
    if (main) patchPrototype(Object.getPrototypeOf(main));
  } catch {
    /* a closed page: the prototype of pageOrFrame itself is patched */
  }
  return pageOrFrame as T & ImageCaptchaMethods;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* The base class: puppeteer-extra-plugin's when installed, else a built-in one with the same contract.          */

type AnyRecord = Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type BaseCtor = new (opts?: AnyRecord) => any;

/**
 * A minimal `PuppeteerExtraPlugin`: the members puppeteer-extra and playwright-extra read or call.
 * Used only when the optional peer `puppeteer-extra-plugin` is not installed.
 */
export class BuiltinPluginBase {
  protected _opts: AnyRecord;
  _childClassMembers: string[] = [];
  constructor(opts: AnyRecord = {}) {
    this._opts = { ...(this.defaults as AnyRecord), ...opts };
  }
  get name(): string {
    throw new Error('Plugin must override "name"');
  }
  get defaults(): AnyRecord {
    return {};
  }
  get requirements(): Set<string> {
    return new Set();
  }
  get dependencies(): Set<string> {
    return new Set();
  }
  get data(): unknown[] {
    return [];
  }
  get opts(): AnyRecord {
    return this._opts;
  }
  /** No-op debug logger (the library never prints). */
  get debug(): (...args: unknown[]) => void {
    return () => {};
  }
  async beforeLaunch(_options: unknown): Promise<void> {}
  async afterLaunch(_browser: unknown, _opts?: unknown): Promise<void> {}
  async beforeConnect(_options: unknown): Promise<void> {}
  async afterConnect(_browser: unknown, _opts?: unknown): Promise<void> {}
  async onBrowser(_browser: unknown, _opts?: unknown): Promise<void> {}
  async onTargetCreated(_target: unknown): Promise<void> {}
  async onPageCreated(_page: unknown): Promise<void> {}
  async onTargetChanged(_target: unknown): Promise<void> {}
  async onTargetDestroyed(_target: unknown): Promise<void> {}
  async onDisconnected(): Promise<void> {}
  async onClose(): Promise<void> {}
  async onPluginRegistered(_env?: unknown): Promise<void> {}
  getDataFromPlugins(_name?: string): unknown[] {
    return [];
  }
  _getMissingDependencies(plugins: Array<{ name: string }>): Set<string> {
    const names = new Set(plugins.map((p) => p.name));
    return new Set([...this.dependencies].filter((d) => !names.has(d)));
  }
  async _bindBrowserEvents(browser: { on(event: string, fn: (...a: unknown[]) => unknown): unknown }, opts: AnyRecord = {}): Promise<void> {
    if (this._hasChildClassMember('onTargetCreated') || this._hasChildClassMember('onPageCreated')) {
      browser.on('targetcreated', (target) => void this._onTargetCreated(target));
    }
    if (this._hasChildClassMember('onTargetChanged')) browser.on('targetchanged', (t) => void this.onTargetChanged(t));
    if (this._hasChildClassMember('onTargetDestroyed')) browser.on('targetdestroyed', (t) => void this.onTargetDestroyed(t));
    if (this._hasChildClassMember('onDisconnected')) browser.on('disconnected', () => void this.onDisconnected());
    if (opts.context === 'launch') await this.afterLaunch(browser, opts);
    if (opts.context === 'connect') await this.afterConnect(browser, opts);
    await this.onBrowser(browser, opts);
  }
  async _onTargetCreated(target: unknown): Promise<void> {
    await this.onTargetCreated(target);
    const t = target as { type(): string; page(): Promise<unknown> };
    if (t.type() !== 'page') return;
    try {
      const page = (await t.page()) as { isClosed?: () => boolean } | null;
      if (page && typeof page.isClosed === 'function' && !page.isClosed()) await this.onPageCreated(page);
    } catch {
      /* the target went away */
    }
  }
  _register(prototype: object): void {
    this._registerChildClassMembers(prototype);
    void this.onPluginRegistered();
  }
  _registerChildClassMembers(prototype: object): void {
    this._childClassMembers = Object.getOwnPropertyNames(prototype);
  }
  _hasChildClassMember(name: string): boolean {
    return this._childClassMembers.includes(name);
  }
  get _isPuppeteerExtraPlugin(): boolean {
    return true;
  }
}

let loadedBase: { ctor: BaseCtor; kind: 'puppeteer-extra-plugin' | 'builtin' } | undefined;

function loadBase(): { ctor: BaseCtor; kind: 'puppeteer-extra-plugin' | 'builtin' } {
  if (loadedBase) return loadedBase;
  if (process.env.IMAGE_CAPTCHA_PLUGIN_BASE !== 'builtin') {
    try {
      const req = createRequire(import.meta.url);
      const mod = req('puppeteer-extra-plugin') as { PuppeteerExtraPlugin?: BaseCtor };
      if (typeof mod.PuppeteerExtraPlugin === 'function') {
        loadedBase = { ctor: mod.PuppeteerExtraPlugin, kind: 'puppeteer-extra-plugin' };
        return loadedBase;
      }
    } catch {
      /* optional peer not installed: use the built-in base */
    }
  }
  loadedBase = { ctor: BuiltinPluginBase as unknown as BaseCtor, kind: 'builtin' };
  return loadedBase;
}

/* ------------------------------------------------------------------------------------------------------------ */

function isPlaywrightBrowser(x: unknown): x is { contexts(): unknown[] } {
  return !!x && typeof (x as { contexts?: unknown }).contexts === 'function';
}
function isPlaywrightContext(x: unknown): x is { pages(): unknown[]; on(e: string, f: (p: unknown) => void): void } {
  return !!x && typeof (x as { pages?: unknown }).pages === 'function' && typeof (x as { newPage?: unknown }).newPage === 'function' && typeof (x as { browser?: unknown }).browser === 'function' && typeof (x as { contexts?: unknown }).contexts !== 'function' && typeof (x as { cookies?: unknown }).cookies === 'function' && typeof (x as { addInitScript?: unknown }).addInitScript === 'function';
}

// Class creation is deferred until the base is known (first ImageCaptchaPlugin() call).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let PluginClass: (new (opts: ImageCaptchaPluginOptions) => any) | undefined;

function definePluginClass(Base: BaseCtor, kind: 'puppeteer-extra-plugin' | 'builtin') {
  class ImageCaptchaPluginImpl extends Base implements PluginCore {
    private readonly userOptions: ImageCaptchaPluginOptions;
    private readonly events = new EventEmitter();
    private readonly seen = new WeakSet<object>();
    private readonly runs = new WeakMap<object, { phase: 'finding' | 'solving'; controller: AbortController }>();
    private readonly contextsBound = new WeakSet<object>();
    private ownSolver?: Solver;

    constructor(opts: ImageCaptchaPluginOptions = {} as ImageCaptchaPluginOptions) {
      if (opts !== undefined && (typeof opts !== 'object' || opts === null)) {
        throw new InvalidOptionError('ImageCaptchaPlugin: options must be an object', { hint: 'Call ImageCaptchaPlugin({ solver, ... })' });
      }
      // puppeteer-extra-plugin deep-merges `defaults` with the options into `this.opts`; our defaults hold
      // primitives only, and we keep our own shallow copy so solver instances and callbacks stay untouched.
      if (typeof opts.solver === 'string' && !(SOLVER_NAMES as readonly string[]).includes(opts.solver)) {
        throw new InvalidOptionError(`ImageCaptchaPlugin: unknown solver ${JSON.stringify(opts.solver)}`, { hint: `Use one of ${SOLVER_NAMES.join(', ')}, or pass a Solver object` });
      }
      super(opts as unknown as AnyRecord);
      this.userOptions = { ...opts };
      this.events.setMaxListeners(0);
    }

    get name(): string {
      return 'image-captcha';
    }

    get defaults(): AnyRecord {
      return { autoSolve: false, recordImages: true, patchPages: true };
    }

    get noPuppeteerShim(): true {
      return true;
    }

    get base(): 'puppeteer-extra-plugin' | 'builtin' {
      return kind;
    }

    flowOptions(): ImageCaptchaFlowOptions {
      const out: AnyRecord = {};
      for (const [k, v] of Object.entries(this.userOptions)) if (!PLUGIN_KEYS.has(k) && v !== undefined) out[k] = v;
      if (typeof out.solver === 'string') {
        this.ownSolver ??= createSolver(out.solver as SolverName);
        out.solver = this.ownSolver;
      }
      return out as ImageCaptchaFlowOptions;
    }

    async close(): Promise<void> {
      const solver = this.ownSolver;
      this.ownSolver = undefined;
      await solver?.close?.();
    }

    private option<K extends keyof ImageCaptchaPluginOptions>(key: K, fallback: NonNullable<ImageCaptchaPluginOptions[K]>) {
      return (this.userOptions[key] ?? fallback) as NonNullable<ImageCaptchaPluginOptions[K]>;
    }

    async onPluginRegistered(_env?: { framework?: string }): Promise<void> {}

    async onPageCreated(page: unknown): Promise<void> {
      try {
        this.adopt(page);
      } catch (error) {
        this.debugLog('onPageCreated failed', error);
      }
    }

    async onBrowser(browser: unknown, _opts?: unknown): Promise<void> {
      // Pages that existed before we saw the browser (connect / connectOverCDP) get no page-created event.
      // Not awaited: enumerating pages must never delay or hang launch/connect.
      void this.adoptExisting(browser).catch((error) => this.debugLog('adopting existing pages failed', error));
    }

    async afterLaunch(browserOrContext: unknown, _opts?: unknown): Promise<void> {
      // playwright-extra's launchPersistentContext hands a BrowserContext here.
      if (isPlaywrightContext(browserOrContext)) {
        for (const page of browserOrContext.pages()) await this.onPageCreated(page);
      }
    }

    private async adoptExisting(browser: unknown): Promise<void> {
      if (isPlaywrightBrowser(browser)) {
        for (const context of browser.contexts()) {
          if (!isPlaywrightContext(context) || this.contextsBound.has(context as object)) continue;
          this.contextsBound.add(context as object);
          // playwright-extra only binds contexts it creates; the default context of connectOverCDP is not one.
          context.on('page', (page) => void this.onPageCreated(page));
          for (const page of context.pages()) await this.onPageCreated(page);
        }
        return;
      }
      const b = browser as { pages?: () => Promise<unknown[]> };
      if (typeof b.pages === 'function') {
        for (const page of await b.pages()) await this.onPageCreated(page);
      }
    }

    /** Registers a page: options, prototype methods, image recorder, auto-solve. Idempotent. */
    private adopt(page: unknown): void {
      if (!page || typeof page !== 'object' || this.seen.has(page)) return;
      this.seen.add(page);
      pagePlugins.set(page, this);
      if (this.option('patchPages', true)) withImageCaptcha(page);
      if (this.option('recordImages', true)) {
        try {
          const r = attachImageRecorder(page as FlowPage) as unknown;
          if (r && typeof (r as Promise<unknown>).then === 'function') {
            (r as Promise<unknown>).then(undefined, (error) => this.debugLog('attachImageRecorder failed', error));
          }
        } catch (error) {
          this.debugLog('attachImageRecorder failed', error);
        }
      }
      if (this.option('autoSolve', false)) {
        const p = page as { on(event: string, fn: () => void): void };
        p.on('load', () => void this.autoSolve(page as object));
      }
    }

    /**
     * One auto-solve per page at a time. A `load` while the previous run is still looking for a captcha
     * restarts it (the page changed); a `load` while it is solving is the flow's own submit and is ignored.
     * Only http(s) pages are looked at (not about:blank).
     */
    private async autoSolve(page: object): Promise<void> {
      const p = page as { url(): string; isClosed?: () => boolean };
      if (p.isClosed?.()) return;
      let url = '';
      try {
        url = p.url();
      } catch {
        return;
      }
      if (!/^https?:/i.test(url)) return;
      const current = this.runs.get(page);
      if (current?.phase === 'solving') return;
      current?.controller.abort();
      const run = { phase: 'finding' as 'finding' | 'solving', controller: new AbortController() };
      this.runs.set(page, run);
      try {
        const options = this.flowOptions();
        const locateTimeout = Math.min(
          (options as { locateTimeout?: number }).locateTimeout ?? Number.POSITIVE_INFINITY,
          this.option('autoSolveLocateTimeout', 3_000),
        );
        const user = (options as { signal?: AbortSignal }).signal;
        const signal = user ? AbortSignal.any([user, run.controller.signal]) : run.controller.signal;
        const found = (await findImageCaptchas(page as FlowPage, { ...options, locateTimeout, signal } as FindOptions)) as unknown;
        if (run.controller.signal.aborted) return; // superseded by a newer load
        if (Array.isArray(found) && found.length === 0) {
          this.emit('skipped', { page, url, results: { results: [], errors: [] } as unknown as ImageCaptchaResults });
          return;
        }
        run.phase = 'solving';
        const results = await solveImageCaptchas(page as FlowPage, options as SolveManyOptions);
        const failures = (results as { errors?: Array<{ error: unknown }> }).errors ?? [];
        if (failures.length > 0) {
          // Per-captcha errors are collected by solveImageCaptchas; for auto-solve they are a failure.
          this.emit('failed', { page, url, results, error: failures[0]!.error });
          this.callback('onAutoSolveError', { page, url, results, error: failures[0]!.error });
          return;
        }
        this.emit('solved', { page, url, results });
        this.callback('onAutoSolve', { page, url, results });
      } catch (error) {
        if (run.controller.signal.aborted) return; // superseded by a newer load: not a failure
        if (p.isClosed?.()) return; // the page was closed under it: nobody is waiting for this page
        if ((error as { name?: string })?.name === 'CaptchaNotFoundError' && run.phase === 'finding') {
          this.emit('skipped', { page, url, results: { results: [], errors: [] } as unknown as ImageCaptchaResults });
          return;
        }
        this.emit('failed', { page, url, error });
        this.callback('onAutoSolveError', { page, url, error });
      } finally {
        if (this.runs.get(page) === run) this.runs.delete(page);
      }
    }

    private emit(type: AutoSolveEventName, event: AutoSolveEvent): void {
      try {
        this.events.emit(type, event);
        this.events.emit('*', { ...event, type });
      } catch (error) {
        this.debugLog(`a '${type}' listener threw`, error);
      }
    }

    private callback(key: 'onAutoSolve' | 'onAutoSolveError', event: AutoSolveEvent): void {
      const fn = this.userOptions[key];
      if (typeof fn !== 'function') return;
      try {
        const r = fn(event) as unknown;
        if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, () => {});
      } catch (error) {
        this.debugLog(`${key} threw`, error);
      }
    }

    private debugLog(message: string, error?: unknown): void {
      try {
        const d = (this as unknown as { debug?: (...a: unknown[]) => void }).debug;
        if (typeof d === 'function') d(message, error instanceof Error ? error.message : error);
      } catch {
        /* never throw from logging */
      }
    }

    on(event: AutoSolveEventName, listener: (event: AutoSolveEvent) => void): this {
      this.events.on(event, listener);
      return this;
    }

    once(event: AutoSolveEventName, listener: (event: AutoSolveEvent) => void): this {
      this.events.once(event, listener);
      return this;
    }

    off(event: AutoSolveEventName, listener: (event: AutoSolveEvent) => void): this {
      this.events.off(event, listener);
      return this;
    }

    waitForAutoSolve(page?: object, options: { timeout?: number } = {}): Promise<AutoSolveEvent & { type: AutoSolveEventName }> {
      const timeout = options.timeout ?? 30_000;
      return new Promise((resolve, reject) => {
        const onEvent = (event: AutoSolveEvent & { type: AutoSolveEventName }) => {
          if (page && event.page !== page) return;
          cleanup();
          resolve(event);
        };
        const timer =
          timeout > 0
            ? setTimeout(() => {
                cleanup();
                reject(new InvalidOptionError(`waitForAutoSolve: no auto-solve finished within ${timeout}ms`, { hint: 'Is `autoSolve: true` set, and did the page load?' }));
              }, timeout)
            : undefined;
        const cleanup = () => {
          if (timer) clearTimeout(timer);
          this.events.off('*', onEvent);
        };
        this.events.on('*', onEvent);
      });
    }

    solveImageCaptchas(page: object, options?: SolveManyOptions): Promise<ImageCaptchaResults> {
      return solveImageCaptchas(page as FlowPage, { ...this.flowOptions(), ...(options ?? {}) } as SolveManyOptions);
    }

    solveImageCaptcha(page: object, selectorOrOptions?: string | SolveOneOptions, options?: SolveOneOptions): Promise<ImageCaptchaResult> {
      return callOne(page, this.flowOptions(), selectorOrOptions, options);
    }

    findImageCaptchas(page: object, options?: FindOptions): Promise<ImageCaptchaFound> {
      return findImageCaptchas(page as FlowPage, { ...this.flowOptions(), ...(options ?? {}) } as FindOptions);
    }
  }
  return ImageCaptchaPluginImpl;
}

/**
 * Creates the plugin: `puppeteer.use(ImageCaptchaPlugin({ solver: 'local' }))` or
 * `chromium.use(ImageCaptchaPlugin({ ... }))` (playwright-extra).
 */
export function ImageCaptchaPlugin(options: ImageCaptchaPluginOptions = {} as ImageCaptchaPluginOptions): ImageCaptchaPluginInstance {
  if (!PluginClass) {
    const { ctor, kind } = loadBase();
    PluginClass = definePluginClass(ctor, kind);
  }
  return new PluginClass(options) as ImageCaptchaPluginInstance;
}

export default ImageCaptchaPlugin;
