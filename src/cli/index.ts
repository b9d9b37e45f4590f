#!/usr/bin/env node
/**
 * `image-captcha` — the command line.
 *
 *   image-captcha solve <url> [options]   open the page in Chromium, solve its image captcha, print JSON
 *   image-captcha ocr <files|dir|-> [--json] read captcha images with the offline model (see ocr.ts)
 *   image-captcha serve [options]         a local CapSolver-compatible server (see `serve --help`)
 *   image-captcha demo                    the fixture site's demo page, solved offline, end to end
 *   image-captcha adapt <dir> --out <dir> fine-tune the offline model on labelled captchas (see `adapt --help`)
 *
 * stdout carries only the result (JSON for `solve`/`demo`, answers for `ocr`); progress and errors go to
 * stderr. Exit codes: 0 success, 1 not solved / runtime error, 2 usage or invalid option, 3 no captcha found,
 * 4 timeout, 5 solver account problem (auth, balance), 130 interrupted.
 */
import { realpathSync } from 'node:fs';
import { readFile, access } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { text } from 'node:stream/consumers';
import { isCaptchaSolverError } from '../core/errors.js';
import { redactText } from '../core/redact.js';
import { attachImageRecorder, solveImageCaptcha } from '../flow/index.js';
import { createSolver } from '../solvers/registry.js';
import type { Solver } from '../core/types.js';
import { SAFE_CHROMIUM_ARGS } from '../browser/chromium.js';
import { EXIT, UsageError, defaultIo, exitQuietlyOnEpipe, lengthOption, parse, type Io } from './common.js';

export { SAFE_CHROMIUM_ARGS };

export { EXIT, UsageError };

/** `demo` tries this many fresh images after a wrong answer (the offline model is not a cloud solver). */
const DEMO_RETRIES = 8;

const SOLVERS = ['auto', 'capsolver', 'local', 'anticaptcha', 'capmonster', '2captcha', 'hybrid'] as const;

const MAIN_HELP = `image-captcha — solve image (text) captchas from the command line

Usage:
  image-captcha solve <url> [options]     open <url> in Chromium, solve its captcha, print a JSON result
  image-captcha ocr <files|dir|-> [--json]  read captcha images with the built-in offline model
  image-captcha serve [options]           run a local CapSolver-compatible HTTP server
  image-captcha demo                      solve the fixture site's demo page offline (repo checkout only)
  image-captcha adapt <dir> --out <dir>   fine-tune the offline model on a folder of labelled captchas

Run "image-captcha <command> --help" for a command's options.

Exit codes: 0 ok, 1 not solved / error, 2 usage, 3 no captcha found, 4 timeout, 5 solver auth/balance, 130 interrupted.
`;

const SOLVE_HELP = `Usage: image-captcha solve <url> [options]

Opens <url> in headless Chromium (playwright-core), finds the image captcha, solves it, types the answer,
optionally submits, and prints the result as JSON on stdout. Progress goes to stderr.

Options:
  --selector <css>         the captcha image (default: found automatically)
  --input <css>            the answer field (default: found automatically)
  --submit <css>           a button to click after typing (default: press Enter / auto)
  --no-submit              type the answer but do not submit
  --solver <name>          ${SOLVERS.join(' | ')} (default: auto = CapSolver when
                           CAPSOLVER_API_KEY is set, else local; hybrid = local first,
                           CapSolver for readings below confidence 0.8)
  --timeout <ms>           overall budget in ms, retries included (default 120000; 0 = none)
  --retries <n>            new images to try after a wrong answer (default 2)
  --locate-timeout <ms>    how long to wait for a captcha to appear (default 10000)
  --headed                 show the browser window
  --screenshot <file.png>  save a screenshot of the page after solving (also on failure)
  --executable-path <p>    Chromium binary (default: $CHROMIUM_PATH or /usr/bin/chromium)
  --debug <dir>            write debug artifacts (image, answer, page screenshot) to <dir>
  --collect <dir>          keep the capture and answer in <dir> when the page accepts it
                           (<sha1>.<ext> + labels.tsv, what \`image-captcha adapt\` reads)
  --image                  include the captured image (base64) in the JSON
  --length <n|min-max>     the answer has n (or min to max) characters, when you know the site's format:
                           the local solver reads the most probable text of that length, the task-API
                           clouds tell their workers (default: the answer field's maxlength as the maximum)
  --math                   the answer is the value of the arithmetic shown ("12 - 4"); sums ending in
                           =? or = are answered without it
  --model <path>           another ONNX model for the local solver (its .json sidecar beside it)
  --quiet                  no progress on stderr
  -h, --help               this help

API keys come from the environment (CAPSOLVER_API_KEY, ANTICAPTCHA_API_KEY, CAPMONSTER_API_KEY,
TWOCAPTCHA_API_KEY) and never appear in the output.
`;

const DEMO_HELP = `Usage: image-captcha demo [options]

Starts the project's fixture site on a random port, opens its /demo page in headless Chromium, solves the
captcha end to end with the offline model, and prints the JSON result. Needs a repository checkout with dev
dependencies installed (npm install): the fixture site is TypeScript, loaded through tsx.

Options:
  --headed                 show the browser window
  --executable-path <p>    Chromium binary (default: $CHROMIUM_PATH or /usr/bin/chromium)
  --solver <name>          another solver (default: local)
  --timeout <ms>           overall budget (default 120000)
  --retries <n>            fresh images to try after a wrong answer (default 8)
  --debug <dir>            write debug artifacts to <dir>
  --model <path>           another ONNX model for the local solver
  --quiet                  no progress on stderr
  -h, --help               this help
`;

const SERVE_HELP = `Usage: image-captcha serve [options]

A local CapSolver-compatible HTTP server (createTask / getTaskResult / getBalance) backed by the offline model.
The server's own options are listed by the server; common ones: --port <n>, --host <addr>.
`;

function intOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || !Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number >= 0 (got "${String(value)}")`);
  return n;
}

function solverName(value: unknown): (typeof SOLVERS)[number] {
  const name = (value ?? 'auto') as string;
  if (!(SOLVERS as readonly string[]).includes(name)) throw new UsageError(`--solver must be one of ${SOLVERS.join(', ')} (got "${name}")`);
  return name as (typeof SOLVERS)[number];
}

/** Chromium: --executable-path, else $CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export function chromiumPath(flag?: unknown): string {
  return (typeof flag === 'string' && flag) || process.env.CHROMIUM_PATH || '/usr/bin/chromium';
}

function progressPrinter(io: Io, quiet: boolean) {
  const started = Date.now();
  return (event: unknown) => {
    if (quiet) return;
    const e = (event ?? {}) as Record<string, unknown>;
    const what = [e.step ?? e.phase ?? e.type ?? e.stage, e.message ?? e.detail ?? e.status].filter((x) => x !== undefined && x !== '').map(String).join(': ');
    const attempt = typeof e.attempt === 'number' ? ` (attempt ${e.attempt})` : '';
    io.stderr(`[image-captcha ${((Date.now() - started) / 1000).toFixed(1)}s] ${what || 'working'}${attempt}\n`);
  };
}

/** The JSON the CLI prints for a result: no image unless asked. */
function publicResult(result: unknown, withImage: boolean): Record<string, unknown> {
  const out = { ...(result as Record<string, unknown>) };
  if (!withImage) delete out.image;
  return out;
}

function errorJson(error: unknown): Record<string, unknown> {
  if (isCaptchaSolverError(error)) {
    const e = error as unknown as Record<string, unknown>;
    return {
      name: error.name,
      code: error.code,
      message: error.message,
      step: error.step,
      provider: error.provider,
      ...(Array.isArray(e.answers) ? { answers: e.answers } : {}),
    };
  }
  const e = error as Error;
  return { name: e?.name ?? 'Error', message: redactText(String(e?.message ?? error)) };
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (isCaptchaSolverError(error)) {
    switch (error.name) {
      case 'InvalidOptionError':
        return EXIT.usage;
      case 'CaptchaNotFoundError':
        return EXIT.notFound;
      case 'TimeoutError':
        return EXIT.timeout;
      case 'AuthError':
      case 'BalanceError':
        return EXIT.account;
      default:
        return EXIT.failed;
    }
  }
  if ((error as Error)?.name === 'AbortError') return EXIT.interrupted;
  return EXIT.failed;
}

/* ------------------------------------------------------------------------------------------------------------ */

interface BrowserRun {
  url: string;
  selector?: string;
  flow: Record<string, unknown>;
  headed: boolean;
  executablePath: string;
  screenshot?: string;
  timeout: number;
  withImage: boolean;
  quiet: boolean;
  signal: AbortSignal;
}

async function loadPlaywright(): Promise<{ chromium: { launch(o: unknown): Promise<unknown> } }> {
  try {
    return (await import('playwright-core')) as unknown as { chromium: { launch(o: unknown): Promise<unknown> } };
  } catch {
    throw new UsageError('this command needs playwright-core: npm install playwright-core (no browser download needed; Chromium is passed with --executable-path)');
  }
}

interface MiniPage {
  goto(url: string, o: unknown): Promise<unknown>;
  screenshot(o: unknown): Promise<Buffer>;
  waitForLoadState(state: 'load', o: { timeout: number }): Promise<void>;
}

/**
 * The page after the solve, as the user asked for it. A submit can leave the page navigating, which makes a
 * screenshot fail ("execution context was destroyed", "page is navigating") or time out on a busy machine: wait
 * for the next page to load and try once more before reporting the failure (the solve's result stands either way).
 */
async function saveScreenshot(page: MiniPage, path: string, io: Io): Promise<void> {
  const shoot = () => page.screenshot({ path, fullPage: true, timeout: 30_000 });
  try {
    await shoot();
  } catch {
    try {
      await page.waitForLoadState('load', { timeout: 15_000 }).catch(() => {});
      await shoot();
    } catch (error) {
      io.stderr(`image-captcha: screenshot failed: ${(error as Error).message.split('\n')[0]}\n`);
    }
  }
}
interface MiniBrowser {
  newPage(): Promise<MiniPage>;
  close(): Promise<void>;
}

async function solveInBrowser(run: BrowserRun, io: Io): Promise<{ result?: unknown; error?: unknown }> {
  const { chromium } = await loadPlaywright();
  const progress = progressPrinter(io, run.quiet);
  progress({ step: 'launch', message: run.executablePath });
  let browser: MiniBrowser;
  try {
    browser = (await chromium.launch({ executablePath: run.executablePath, headless: !run.headed, args: SAFE_CHROMIUM_ARGS })) as MiniBrowser;
  } catch (error) {
    throw new UsageError(`could not start Chromium at ${run.executablePath}: ${(error as Error).message.split('\n')[0]}. Pass --executable-path or set CHROMIUM_PATH`);
  }
  // One close for both paths: Ctrl+C starts it, the finally below awaits the same one. (A second
  // browser.close() call rejects at once while the first is still waiting for Chromium to exit, and the CLI
  // then exited before Chromium had, leaving it orphaned.)
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= browser.close().catch(() => {}));
  const onAbort = () => void close();
  run.signal.addEventListener('abort', onAbort, { once: true });
  let page: MiniPage | undefined;
  try {
    page = await browser.newPage();
    attachImageRecorder(page as never);
    progress({ step: 'open', message: run.url });
    try {
      await page.goto(run.url, { waitUntil: 'load', timeout: run.timeout > 0 ? run.timeout : 0 });
    } catch (error) {
      if (run.signal.aborted) return { error: run.signal.reason };
      const reason = (error as Error).message.split('\n')[0];
      return { error: Object.assign(new Error(`could not open ${run.url}: ${reason}`), { name: 'NavigationError' }) };
    }
    const options = { ...run.flow, onProgress: progress, signal: run.signal };
    try {
      const result = run.selector
        ? await solveImageCaptcha(page as never, run.selector, options as never)
        : await solveImageCaptcha(page as never, options as never);
      return { result };
    } catch (error) {
      return { error };
    }
  } finally {
    if (run.screenshot && page) await saveScreenshot(page, run.screenshot, io);
    run.signal.removeEventListener('abort', onAbort);
    await close();
  }
}

function reportSolve(outcome: { result?: unknown; error?: unknown }, run: Pick<BrowserRun, 'withImage'>, io: Io): number {
  if (outcome.error !== undefined) {
    const err = errorJson(outcome.error);
    io.stdout(`${JSON.stringify({ solved: false, error: err }, null, 2)}\n`);
    io.stderr(`image-captcha: ${String(err.message)}\n`);
    return exitCodeFor(outcome.error);
  }
  const result = publicResult(outcome.result, run.withImage);
  io.stdout(`${redactText(JSON.stringify(result, null, 2))}\n`);
  return result.solved === false ? EXIT.failed : EXIT.ok;
}

function solverFor(name: (typeof SOLVERS)[number], model?: unknown): Solver {
  return createSolver(name, typeof model === 'string' && model ? { model: resolve(model) } : {});
}

async function cmdSolve(args: string[], io: Io, signal: AbortSignal): Promise<number> {
  const { values, positionals } = parse(args, {
    selector: { type: 'string' },
    input: { type: 'string' },
    submit: { type: 'string' },
    'no-submit': { type: 'boolean' },
    solver: { type: 'string' },
    timeout: { type: 'string' },
    retries: { type: 'string' },
    'locate-timeout': { type: 'string' },
    headed: { type: 'boolean' },
    screenshot: { type: 'string' },
    'executable-path': { type: 'string' },
    debug: { type: 'string' },
    collect: { type: 'string' },
    image: { type: 'boolean' },
    model: { type: 'string' },
    length: { type: 'string' },
    math: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(SOLVE_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'solve needs a <url>' : `solve takes one <url> (got ${positionals.length})`);
  const url = positionals[0]!;
  try {
    const u = new URL(url);
    if (!/^(https?|file):$/.test(u.protocol)) throw new Error('protocol');
  } catch {
    throw new UsageError(`not an http(s) or file URL: "${url}"`);
  }
  const timeout = intOption(values.timeout, 'timeout') ?? 120_000;
  const retries = intOption(values.retries, 'retries');
  const locateTimeout = intOption(values['locate-timeout'], 'locate-timeout');
  const length = lengthOption(values.length);
  const solver = solverFor(solverName(values.solver), values.model);
  const flow: Record<string, unknown> = { solver, timeout };
  if (values.input) flow.input = values.input;
  if (values['no-submit']) flow.submit = false;
  else if (values.submit) flow.submit = values.submit;
  if (retries !== undefined) flow.retries = retries;
  if (locateTimeout !== undefined) flow.locateTimeout = locateTimeout;
  if (length) Object.assign(flow, length);
  if (values.math) flow.math = true;
  if (values.debug) flow.debug = resolve(String(values.debug));
  if (values.collect) flow.collect = resolve(String(values.collect));
  const run: BrowserRun = {
    url,
    selector: values.selector as string | undefined,
    flow,
    headed: Boolean(values.headed),
    executablePath: chromiumPath(values['executable-path']),
    screenshot: values.screenshot ? resolve(String(values.screenshot)) : undefined,
    timeout,
    withImage: Boolean(values.image),
    quiet: Boolean(values.quiet),
    signal,
  };
  try {
    return reportSolve(await solveInBrowser(run, io), run, io);
  } finally {
    await solver.close?.().catch(() => {});
  }
}

/** `ocr` lives in ./ocr.ts. */
async function cmdOcrCommand(args: string[], io: Io, signal: AbortSignal): Promise<number> {
  const { cmdOcr } = await import('./ocr.js');
  return cmdOcr(args, io, signal, { readStdin: () => text(process.stdin), tty: io === defaultIo && process.stderr.isTTY === true });
}

async function cmdServe(args: string[], io: Io): Promise<number> {
  // The server prints its own --help.
  const mod = (await import('../server/index.js')) as { serveCommand?: (argv: string[]) => unknown };
  if (typeof mod.serveCommand !== 'function') {
    io.stdout(SERVE_HELP);
    throw new UsageError('serve is not available in this build');
  }
  const code = await mod.serveCommand(args);
  return typeof code === 'number' ? code : EXIT.ok;
}

/** The repository root of a checkout (where fixtures/site lives), searched upward from this file. */
async function findCheckoutRoot(): Promise<string | undefined> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      await access(join(dir, 'fixtures', 'site', 'index.ts'));
      return dir;
    } catch {
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return undefined;
}

interface FixtureServer {
  url: string;
  close(): Promise<void> | void;
}

async function startDemoSite(): Promise<FixtureServer> {
  const root = await findCheckoutRoot();
  if (!root) throw new UsageError('demo runs from a repository checkout (it serves fixtures/site); clone the repo, npm install, then npm run demo');
  const file = pathToFileURL(join(root, 'fixtures', 'site', 'index.ts')).href;
  let mod: { startFixtureServer?: (o?: unknown) => Promise<FixtureServer> };
  try {
    mod = (await import(file)) as typeof mod; // works when the CLI itself runs under tsx
  } catch {
    try {
      const tsxApi = 'tsx/esm/api'; // a dev dependency of the checkout: never bundled into dist
      const tsx = (await import(tsxApi)) as { tsImport(spec: string, parent: string): Promise<unknown> };
      mod = (await tsx.tsImport(file, import.meta.url)) as typeof mod;
    } catch (error) {
      throw new UsageError(`demo could not load the fixture site (${(error as Error).message.split('\n')[0]}); run "npm install" in the checkout first`);
    }
  }
  if (typeof mod.startFixtureServer !== 'function') throw new UsageError('demo: fixtures/site/index.ts has no startFixtureServer()');
  return mod.startFixtureServer();
}

/** `adapt` lives in ./adapt.ts; its usage errors exit with 2 like ours. */
async function cmdAdaptCommand(args: string[], io: Io, signal: AbortSignal): Promise<number> {
  const { cmdAdapt, AdaptUsageError } = await import('./adapt.js');
  try {
    return await cmdAdapt(args, io, signal, io === defaultIo && process.stderr.isTTY === true);
  } catch (error) {
    if (error instanceof AdaptUsageError) throw new UsageError(error.message);
    throw error;
  }
}

async function cmdDemo(args: string[], io: Io, signal: AbortSignal): Promise<number> {
  const { values, positionals } = parse(args, {
    headed: { type: 'boolean' },
    'executable-path': { type: 'string' },
    solver: { type: 'string' },
    timeout: { type: 'string' },
    debug: { type: 'string' },
    retries: { type: 'string' },
    image: { type: 'boolean' },
    model: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(DEMO_HELP);
    return EXIT.ok;
  }
  if (positionals.length) throw new UsageError(`demo takes no arguments (got "${positionals.join(' ')}")`);
  const timeout = intOption(values.timeout, 'timeout') ?? 120_000;
  const progress = progressPrinter(io, Boolean(values.quiet));
  progress({ step: 'demo', message: 'starting the fixture site' });
  const site = await startDemoSite();
  const solver = solverFor(solverName(values.solver ?? 'local'), values.model);
  try {
    const url = new URL('/demo', site.url).href;
    // The offline model misreads some images: like a user would, allow a few fresh images.
    const flow: Record<string, unknown> = { solver, timeout, retries: intOption(values.retries, 'retries') ?? DEMO_RETRIES };
    if (values.debug) flow.debug = resolve(String(values.debug));
    const run: BrowserRun = {
      url,
      flow,
      headed: Boolean(values.headed),
      executablePath: chromiumPath(values['executable-path']),
      timeout,
      withImage: Boolean(values.image),
      quiet: Boolean(values.quiet),
      signal,
    };
    const outcome = await solveInBrowser(run, io);
    const code = reportSolve(outcome, run, io);
    if (code === EXIT.ok) {
      const r = outcome.result as { text?: string; attempts?: number; timings?: { total?: number } };
      io.stderr(`demo: solved "${r.text}" in ${r.attempts ?? '?'} attempt(s), ${r.timings?.total ?? '?'} ms\n`);
    }
    return code;
  } finally {
    await solver.close?.().catch(() => {});
    await site.close();
  }
}

/** Runs the CLI with `argv` (without `node` and the script); resolves with the exit code. */
export async function main(argv: string[], io: Io = defaultIo, signal: AbortSignal = new AbortController().signal): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout(MAIN_HELP);
        return command === undefined ? EXIT.usage : EXIT.ok;
      case '-v':
      case '--version': {
        const pkg = await findPackageJson();
        io.stdout(`${pkg?.version ?? 'unknown'}\n`);
        return EXIT.ok;
      }
      case 'solve':
        return await cmdSolve(rest, io, signal);
      case 'ocr':
        return await cmdOcrCommand(rest, io, signal);
      case 'serve':
        return await cmdServe(rest, io);
      case 'demo':
        return await cmdDemo(rest, io, signal);
      case 'adapt':
        return await cmdAdaptCommand(rest, io, signal);
      default:
        throw new UsageError(`unknown command "${command}"; run image-captcha --help`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`image-captcha: ${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`image-captcha: ${errorJson(error).message as string}\n`);
    return exitCodeFor(error);
  }
}

async function findPackageJson(): Promise<{ version?: string } | undefined> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'image-captcha-solver') return pkg;
    } catch {
      /* keep looking */
    }
    dir = dirname(dir);
  }
  return undefined;
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    const self = realpathSync(fileURLToPath(import.meta.url));
    const given = realpathSync(resolve(entry));
    return given === self;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    controller.abort(Object.assign(new Error('interrupted'), { name: 'AbortError' }));
  };
  // a reader that goes away (`image-captcha ocr … | head -3`) ends us quietly, as Unix tools do
  exitQuietlyOnEpipe(process.stdout);
  exitQuietlyOnEpipe(process.stderr);
  if (process.argv[2] !== 'serve') {
    // `serve` handles its own signals (graceful shutdown).
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  void main(process.argv.slice(2), defaultIo, controller.signal).then((code) => {
    process.exitCode = interrupted ? EXIT.interrupted : code;
    // Let stdout drain, then leave even if a library keeps a handle open.
    setTimeout(() => process.exit(process.exitCode ?? 0), 50).unref();
  });
}
