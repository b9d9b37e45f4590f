/**
 * `createSolver()`: one entry point from a name (or a Solver of your own) to a ready Solver.
 * `'auto'` resolves as ORT resolves backends: CapSolver when a key is at hand, else the offline model.
 */
import { InvalidOptionError } from '../core/errors.js';
import { debug } from '../core/log.js';
import type { Solver } from '../core/types.js';
import { CapSolver, nonEmpty, type CapSolverOptions } from './capsolver.js';
import { LocalSolver, type LocalSolverOptions } from './offline/index.js';
import { AntiCaptcha, CapMonsterCloud, TwoCaptcha, type TaskApiOptions } from './task-api.js';
import { HybridSolver, type HybridSolverOptions } from './hybrid.js';

/** The names `createSolver()` knows. */
export const SOLVER_NAMES = ['auto', 'capsolver', 'anticaptcha', 'capmonster', '2captcha', 'local', 'hybrid'] as const;
export type SolverName = (typeof SOLVER_NAMES)[number];

/**
 * Options for `createSolver()`: the cloud options (used by the cloud named or picked) and the offline
 * model's options (used by `'local'`, or by `'auto'` when no CapSolver key is set).
 * Keys come from `apiKey` or the environment: `CAPSOLVER_API_KEY`, `ANTICAPTCHA_API_KEY`,
 * `CAPMONSTER_API_KEY`, `TWOCAPTCHA_API_KEY`.
 */
export type CreateSolverOptions = CapSolverOptions & TaskApiOptions & LocalSolverOptions & HybridCreateOptions;

/**
 * `'hybrid'` only: the two solvers (default: a `LocalSolver` from the offline options, and `CapSolver` from the cloud
 * options) and what to do when the cloud fails. `minConfidence` is then the hybrid's threshold (see HybridSolver).
 */
export type HybridCreateOptions = Partial<Pick<HybridSolverOptions, 'local' | 'cloud' | 'onCloudError'>>;

/**
 * Returns a Solver:
 * - `'auto'` (default): `CapSolver` when `options.apiKey` or `CAPSOLVER_API_KEY` is set, else `LocalSolver`;
 * - `'capsolver' | 'anticaptcha' | 'capmonster' | '2captcha'`: that cloud;
 * - `'local'`: the offline ONNX model;
 * - `'hybrid'`: `HybridSolver`, the offline model first and `cloud` (default CapSolver) for the readings below
 *   `minConfidence` (default 0.8);
 * - a Solver object: returned as is.
 * Throws InvalidOptionError for anything else, listing the valid names.
 */
export function createSolver(spec: SolverName | Solver = 'auto', options: CreateSolverOptions = {}): Solver {
  if (typeof spec === 'object' && spec !== null) {
    if (typeof (spec as Solver).solve === 'function') return spec as Solver;
    throw new InvalidOptionError('createSolver: The solver object has no solve() method', {
      hint: `Pass one of ${SOLVER_NAMES.map((n) => `'${n}'`).join(', ')}, or an object implementing Solver`,
    });
  }
  const name = typeof spec === 'string' ? (spec.trim().toLowerCase() as SolverName) : spec;
  switch (name) {
    case 'auto': {
      const key = options.apiKey ?? nonEmpty(process.env.CAPSOLVER_API_KEY);
      debug('registry', key ? "auto: a CapSolver key is set, using 'capsolver'" : "auto: no CAPSOLVER_API_KEY, using 'local'");
      return key ? new CapSolver(options) : new LocalSolver(localOptions(options));
    }
    case 'capsolver':
      return new CapSolver(options);
    case 'anticaptcha':
      return new AntiCaptcha(options);
    case 'capmonster':
      return new CapMonsterCloud(options);
    case '2captcha':
      return new TwoCaptcha(options);
    case 'local':
      return new LocalSolver(localOptions(options));
    case 'hybrid':
      return new HybridSolver({
        local: options.local ?? new LocalSolver({ ...localOptions(options), minConfidence: undefined }),
        cloud: options.cloud ?? new CapSolver(options),
        minConfidence: options.minConfidence,
        onCloudError: options.onCloudError,
      });
    default:
      throw new InvalidOptionError(`createSolver: Unknown solver ${JSON.stringify(spec)}`, {
        hint: `Use one of ${SOLVER_NAMES.map((n) => `'${n}'`).join(', ')}, or pass a Solver object`,
      });
  }
}

/** The options left once the cloud ones are taken out. */
function localOptions(options: CreateSolverOptions): LocalSolverOptions {
  const {
    apiKey: _apiKey,
    baseUrl: _baseUrl,
    timeout: _timeout,
    attemptTimeout: _attemptTimeout,
    retries: _retries,
    retry: _retry,
    dispatcher: _dispatcher,
    pollInterval: _pollInterval,
    pollInitialDelay: _pollInitialDelay,
    task: _task,
    fitImages: _fitImages,
    appId: _appId,
    local: _local,
    cloud: _cloud,
    onCloudError: _onCloudError,
    ...local
  } = options;
  return local;
}
