/**
 * `image-captcha serve`: parses the flags, starts {@link createCapSolverServer}, prints the URL, and shuts
 * down gracefully on SIGINT / SIGTERM (or when `io.signal` aborts). Resolves with the exit code:
 * 0 after a clean shutdown (or `--help`), 1 when the server cannot start, 2 for a usage error.
 */
import { parseArgs } from 'node:util';
import { isCaptchaSolverError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import type { Solver } from '../core/types.js';
import { SERVER_DEFAULTS, SERVER_KEY_ENV, type CapSolverServerOptions } from './options.js';
import { createCapSolverServer } from './server.js';

export interface ServeCommandIO {
  /** Where the URL and notices go. @default process.stdout */
  stdout?: { write(text: string): unknown };
  /** Where errors and warnings go. @default process.stderr */
  stderr?: { write(text: string): unknown };
  /** Environment for `IMAGE_CAPTCHA_SERVER_KEY` and the upstream's `CAPSOLVER_API_KEY`. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Stops the server like SIGINT does (for embedding and tests). @default undefined */
  signal?: AbortSignal;
  /** Called once the server listens, with its URL. @default undefined */
  onListening?: (url: string) => void;
}

export const SERVE_HELP = `Usage: image-captcha serve [options]

A local server that speaks CapSolver's API and solves ImageToTextTask offline.
Point a CapSolver client at it (base URL http://HOST:PORT); Anti-Captcha, 2Captcha
and CapMonster clients use http://HOST:PORT/anticaptcha, /2captcha or /capmonster.

Options:
  --port <n>                 TCP port, 0 = any free one            (default ${SERVER_DEFAULTS.port})
  --host <addr>              interface to bind; anything but loopback
                             exposes the server: set --api-key     (default ${SERVER_DEFAULTS.host})
  --api-key <key>            key clients must send as clientKey    (default $${SERVER_KEY_ENV}, else none)
  --concurrency <n>          solves running at once per client     (default ${SERVER_DEFAULTS.concurrency})
  --queue <n>                requests waiting for a slot; beyond it
                             clients get ERROR_SERVICE_UNAVALIABLE  (default ${SERVER_DEFAULTS.queueSize})
  --client-queue <n>         of those, most from one client; beyond
                             it ERROR_RATE_LIMIT                    (default: --queue)
  --workers <n>              solver worker threads                 (default min(${SERVER_DEFAULTS.maxWorkers}, CPUs))
  --threads <n>              onnxruntime threads per worker        (default ${SERVER_DEFAULTS.threads})
  --batch <n>                most images per model run; a worker's
                             concurrent tasks share runs (1 = off)  (default ${SERVER_DEFAULTS.batch})
  --model <path>             .onnx model (its .json sidecar beside it)
  --upstream capsolver       send unsure tasks to CapSolver (needs CAPSOLVER_API_KEY)
  --upstream-threshold <x>   local confidence 0-1 below which a task
                             goes upstream                          (default ${SERVER_DEFAULTS.upstreamThreshold})
  --max-body <bytes>         largest request body                  (default ${SERVER_DEFAULTS.maxBodyBytes})
  -h, --help                 show this help
`;

class UsageError extends Error {}

function intFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Runs `image-captcha serve` with `argv` (the arguments after `serve`). */
export async function serveCommand(argv: string[], io: ServeCommandIO = {}): Promise<number> {
  const out = io.stdout ?? process.stdout;
  const err = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const args = argv[0] === 'serve' ? argv.slice(1) : argv;
  let options: CapSolverServerOptions;
  let upstreamName: string | undefined;
  try {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        'api-key': { type: 'string' },
        concurrency: { type: 'string' },
        queue: { type: 'string' },
        'client-queue': { type: 'string' },
        workers: { type: 'string' },
        threads: { type: 'string' },
        batch: { type: 'string' },
        model: { type: 'string' },
        upstream: { type: 'string' },
        'upstream-threshold': { type: 'string' },
        'max-body': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      out.write(SERVE_HELP);
      return 0;
    }
    const threshold = values['upstream-threshold'];
    if (threshold !== undefined && !(Number(threshold) >= 0 && Number(threshold) <= 1 && threshold.trim() !== '')) {
      throw new UsageError(`--upstream-threshold must be a number from 0 to 1, got "${threshold}"`);
    }
    upstreamName = values.upstream;
    if (upstreamName !== undefined && upstreamName !== 'capsolver') {
      throw new UsageError(`--upstream must be "capsolver", got "${upstreamName}"`);
    }
    const apiKey = values['api-key'] ?? env[SERVER_KEY_ENV];
    if (values['api-key'] !== undefined && values['api-key'].trim() === '') throw new UsageError('--api-key must not be empty');
    registerSecret(apiKey);
    options = {
      port: intFlag('port', values.port, 0, 65535),
      host: values.host,
      apiKey: apiKey && apiKey.trim() !== '' ? apiKey : false,
      concurrency: intFlag('concurrency', values.concurrency, 1, 100_000),
      queueSize: intFlag('queue', values.queue, 0, 1_000_000),
      clientQueueSize: intFlag('client-queue', values['client-queue'], 0, 1_000_000),
      workers: intFlag('workers', values.workers, 0, 64),
      threads: intFlag('threads', values.threads, 1, 64),
      batch: intFlag('batch', values.batch, 1, 64),
      model: values.model,
      upstreamThreshold: threshold === undefined ? undefined : Number(threshold),
      maxBodyBytes: intFlag('max-body', values['max-body'], 1024, 1 << 30),
    };
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err.write(`image-captcha serve: ${(error as Error).message}\nRun "image-captcha serve --help" for the options.\n`);
      return 2;
    }
    throw error;
  }

  let upstream: Solver | undefined;
  if (upstreamName === 'capsolver') {
    const { CapSolver } = await import('../solvers/capsolver.js');
    const cloud = new CapSolver({ apiKey: env.CAPSOLVER_API_KEY || undefined, baseUrl: env.CAPSOLVER_API_BASE || undefined });
    if (!cloud.hasApiKey) {
      err.write('image-captcha serve: --upstream capsolver needs a CapSolver key in CAPSOLVER_API_KEY\n');
      return 2;
    }
    upstream = cloud;
  }
  for (const key of Object.keys(options) as (keyof CapSolverServerOptions)[]) if (options[key] === undefined) delete options[key];

  let server: Awaited<ReturnType<typeof createCapSolverServer>>;
  try {
    server = await createCapSolverServer({ ...options, ...(upstream ? { upstream } : {}) });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    err.write(`image-captcha serve: ${message}${isCaptchaSolverError(error) ? ` [${error.code}]` : ''}\n`);
    await upstream?.close?.();
    return 1;
  }
  if (upstream && 'baseUrl' in upstream && typeof upstream.baseUrl === 'string' && new URL(upstream.baseUrl).port === String(server.port) && isLoopback(new URL(upstream.baseUrl).hostname)) {
    err.write(`image-captcha serve: --upstream capsolver points at this server (CAPSOLVER_API_BASE=${upstream.baseUrl}); unset CAPSOLVER_API_BASE for the upstream\n`);
    await server.close();
    return 2;
  }

  const host = options.host ?? SERVER_DEFAULTS.host;
  out.write(`image-captcha serve: listening on ${server.url}\n`);
  out.write(`  CapSolver API at ${server.url} (createTask, getTaskResult, getBalance, feedbackTask)\n`);
  out.write(`  Anti-Captcha / 2Captcha / CapMonster API at ${server.url}/anticaptcha, /2captcha, /capmonster\n`);
  out.write(`  ${options.apiKey ? 'clientKey required' : 'any clientKey accepted'}${upstream ? `; unsure tasks go to CapSolver` : ''}. Ctrl+C to stop.\n`);
  if (!isLoopback(host) && !options.apiKey) {
    err.write(`image-captcha serve: warning: bound to ${host} with no --api-key: anyone who can reach this port can use it\n`);
  }
  io.onListening?.(server.url);

  await new Promise<void>((resolve) => {
    const stop = () => {
      // remove the handlers once stopped, so an embedding process keeps its own
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener('abort', stop, { once: true });
  });
  out.write('image-captcha serve: shutting down (finishing in-flight tasks)…\n');
  const s = server.stats();
  await server.close();
  await upstream?.close?.();
  out.write(`image-captcha serve: stopped after ${s.tasks.solved} solved, ${s.tasks.failed} failed, ${s.tasks.busy} busy\n`);
  return 0;
}
