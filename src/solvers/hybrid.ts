/**
 * Local first, cloud when unsure: `HybridSolver` reads every image with the offline model (base or adapted) and
 * pays a cloud solver only for the images the model is not sure of, counting what each side answered and what the
 * page accepted (the page flow reports its verdicts through `Solver.feedback`).
 */
import { InvalidOptionError } from '../core/errors.js';
import type { Balance, ImageToTextTask, Solution, SolveOptions, Solver } from '../core/types.js';

export const HYBRID_DEFAULTS = {
  /** Local readings below this confidence go to the cloud. */
  minConfidence: 0.8,
  /** When the cloud fails on an unsure image, answer with the local reading. */
  onCloudError: 'local',
} as const;

export interface HybridSolverOptions {
  /** Reads first; must report `Solution.confidence` (the offline `LocalSolver` does). */
  local: Solver;
  /** Reads the images the local model is unsure of. */
  cloud: Solver;
  /**
   * The local reading is the answer when its confidence is at least this (0–1); below it, or when the local model
   * refuses the image, the image goes to the cloud.
   * @default 0.8
   */
  minConfidence?: number;
  /**
   * When the cloud fails on an unsure image (HTTP error, 5xx, rate limit, its own timeout, unsolvable): `'local'`
   * answers with the local model's unsure reading where it had one (counted in `fallbacks`), `'throw'` rejects
   * with the cloud's error. Account errors (auth, balance, invalid options) and an aborted call always reject.
   * @default 'local'
   */
  onCloudError?: 'local' | 'throw';
}

/** `HybridSolver.stats()`: where the answers came from and what the page made of them. */
export interface HybridStats {
  /** Solve calls that answered: `local + cloudAnswered`. */
  answered: number;
  /** Answers read by the local model: confident readings plus `fallbacks`. */
  local: number;
  /** Images sent to the cloud: `cloudAnswered + cloudErrors`. */
  cloud: number;
  cloudAnswered: number;
  /** Cloud calls that failed (the image was then answered locally when it counts in `fallbacks`, else the call rejected). */
  cloudErrors: number;
  /** Unsure local readings answered anyway because the cloud failed (`onCloudError: 'local'`). */
  fallbacks: number;
  /** Verdicts the page flow reported (`Solver.feedback`), per side. */
  localAccepted: number;
  localRejected: number;
  cloudAccepted: number;
  cloudRejected: number;
  /** Time spent reading locally (every image) and waiting for the cloud, in ms. */
  localMs: number;
  cloudMs: number;
  /**
   * Cloud requests not made (`local - fallbacks`) and the time that saved, estimated from the cloud's average
   * answer time (0 until the cloud has answered once). Multiply `requests` by your price per image for the money.
   */
  saved: { requests: number; ms: number };
}

type Side = 'local' | 'cloud';
type Counters = Omit<HybridStats, 'saved'>;

const FATAL_CODES = new Set(['ICS_ERR_AUTH', 'ICS_ERR_BALANCE', 'ICS_ERR_INVALID_OPTION']);

function checkOptions(options: HybridSolverOptions): void {
  for (const side of ['local', 'cloud'] as const) {
    if (typeof options?.[side]?.solve !== 'function') {
      throw new InvalidOptionError(`new HybridSolver: \`${side}\` must be a Solver (an object with solve()), got ${typeof options?.[side]}`, {
        hint: "Pass { local: new LocalSolver(), cloud: createSolver('capsolver') }",
      });
    }
  }
  const min = options.minConfidence ?? HYBRID_DEFAULTS.minConfidence;
  if (typeof min !== 'number' || !(min >= 0 && min <= 1)) {
    throw new InvalidOptionError(`new HybridSolver: \`minConfidence\` must be within 0–1, got ${String(min)}`, { hint: 'Pass e.g. 0.8' });
  }
  if (options.onCloudError !== undefined && options.onCloudError !== 'local' && options.onCloudError !== 'throw') {
    throw new InvalidOptionError(`new HybridSolver: \`onCloudError\` must be 'local' or 'throw', got ${JSON.stringify(options.onCloudError)}`);
  }
}

export class HybridSolver implements Solver {
  readonly name = 'hybrid';
  readonly local: Solver;
  readonly cloud: Solver;
  readonly minConfidence: number;
  readonly onCloudError: 'local' | 'throw';
  readonly #sides = new WeakMap<Solution, Side>();
  #reads = 0;
  readonly #n: Counters = {
    answered: 0, local: 0, cloud: 0, cloudAnswered: 0, cloudErrors: 0, fallbacks: 0,
    localAccepted: 0, localRejected: 0, cloudAccepted: 0, cloudRejected: 0, localMs: 0, cloudMs: 0,
  };

  constructor(options: HybridSolverOptions) {
    checkOptions(options);
    this.local = options.local;
    this.cloud = options.cloud;
    this.minConfidence = options.minConfidence ?? HYBRID_DEFAULTS.minConfidence;
    this.onCloudError = options.onCloudError ?? HYBRID_DEFAULTS.onCloudError;
  }

  /**
   * Reads `task` locally (without `task.score`, a cloud setting); answers with that reading when its confidence is
   * at least `minConfidence`, else with the cloud's answer (see `onCloudError` for a failing cloud). The solution
   * is the answering side's own (`provider` says which).
   */
  async solve(task: ImageToTextTask, options: SolveOptions = {}): Promise<Solution> {
    const reading = await this.#readLocally(task, options);
    if (reading && (reading.confidence ?? 0) >= this.minConfidence) return this.#answer(reading, 'local');
    const started = Date.now();
    try {
      const solution = await this.cloud.solve(task, options);
      this.#n.cloud++;
      this.#n.cloudAnswered++;
      return this.#answer(solution, 'cloud');
    } catch (error) {
      this.#n.cloud++;
      this.#n.cloudErrors++;
      if (!reading || !this.#mayFallBack(error, options)) throw error;
      this.#n.fallbacks++;
      return this.#answer(reading, 'local');
    } finally {
      this.#n.cloudMs += Date.now() - started;
    }
  }

  /** The local reading, or undefined when the local model refused the image (the cloud reads it then). */
  async #readLocally(task: ImageToTextTask, options: SolveOptions): Promise<Solution | undefined> {
    const { score: _score, ...localTask } = task;
    const started = Date.now();
    this.#reads++;
    try {
      return await this.local.solve(localTask, options);
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      return undefined;
    } finally {
      this.#n.localMs += Date.now() - started;
    }
  }

  #mayFallBack(error: unknown, options: SolveOptions): boolean {
    if (options.signal?.aborted || this.onCloudError === 'throw') return false;
    return !FATAL_CODES.has((error as { code?: string })?.code ?? '');
  }

  #answer(solution: Solution, side: Side): Solution {
    this.#sides.set(solution, side);
    this.#n.answered++;
    if (side === 'local') this.#n.local++;
    return solution;
  }

  /** Which side answered `solution` (a solution this solver returned), else undefined. */
  sideOf(solution: Solution): Side | undefined {
    return this.#sides.get(solution);
  }

  /** Counts the page's verdict for the side that answered, and passes it on to that side. */
  feedback(solution: Solution, accepted: boolean): void {
    const side = this.#sides.get(solution);
    if (!side) return;
    this.#n[`${side}${accepted ? 'Accepted' : 'Rejected'}`]++;
    try {
      this[side].feedback?.(solution, accepted);
    } catch {
      // bookkeeping of the inner solver: never the caller's problem
    }
  }

  /** Reports a wrong answer to the side that gave it (the cloud refunds; the local model has nothing to refund). */
  async reportIncorrect(solution: Solution, options?: SolveOptions): Promise<void> {
    const side = this.#sides.get(solution);
    if (side) await this[side].reportIncorrect?.(solution, options);
  }

  /** The cloud account's balance. */
  async getBalance(options?: SolveOptions): Promise<Balance> {
    if (!this.cloud.getBalance) throw new InvalidOptionError(`HybridSolver.getBalance: the cloud solver (${this.cloud.name}) has no balance`);
    return this.cloud.getBalance(options);
  }

  /** A snapshot of the counters (see {@link HybridStats}). */
  stats(): HybridStats {
    const n = { ...this.#n };
    const requests = n.local - n.fallbacks;
    const perCloud = n.cloudAnswered ? n.cloudMs / n.cloud : 0;
    const perLocal = this.#reads ? n.localMs / this.#reads : 0;
    return { ...n, saved: { requests, ms: perCloud ? Math.max(0, Math.round(requests * (perCloud - perLocal))) : 0 } };
  }

  /** Closes both solvers. */
  async close(): Promise<void> {
    await Promise.allSettled([this.local.close?.(), this.cloud.close?.()]);
  }
}
