/**
 * The wire shapes the server answers with, in two dialects:
 *
 * - `capsolver` (the default, paths at the root): CapSolver's API (https://docs.capsolver.com). `createTask`
 *   with an ImageToTextTask answers synchronously (`status: "ready"`, `solution.text`, a string `taskId`;
 *   `solution.answers`, one per image, for an `images` task of the `number` module);
 *   errors are `{ errorId: 1, errorCode, errorDescription }` with HTTP 400, 401 (key), 413 (body too large),
 *   429 (busy, rate limit) or 503 (shutting down, solver broken).
 * - `taskapi` (paths under `/anticaptcha`, `/2captcha`, `/capmonster`, or a root request that looks like one):
 *   the Anti-Captcha / 2Captcha API v2 / CapMonster Cloud protocol. `createTask` answers at once with an
 *   integer `taskId`, `getTaskResult` says `processing` until the answer is `ready`; errors carry those
 *   providers' own numeric `errorId` and code, in HTTP 200 as they do.
 *
 * Errors are raised inside the server as {@link WireError} with a CapSolver code, and rendered per dialect.
 */

export type Dialect = 'capsolver' | 'taskapi';

/** The error codes the server answers with (CapSolver's, spelling included: `UNAVALIABLE`). */
export type WireCode =
  | 'ERROR_INVALID_TASK_DATA'
  | 'ERROR_BAD_REQUEST'
  | 'ERROR_INVALID_IMAGE'
  | 'ERROR_TASK_NOT_SUPPORTED'
  | 'ERROR_KEY_DENIED_ACCESS'
  | 'ERROR_KEY_DOES_NOT_EXIST'
  | 'ERROR_TASKID_INVALID'
  | 'ERROR_CAPTCHA_UNSOLVABLE'
  | 'ERROR_TASK_TIMEOUT'
  | 'ERROR_SERVICE_UNAVALIABLE'
  | 'ERROR_RATE_LIMIT';

interface CodeSpec {
  /** HTTP status in the CapSolver dialect. */
  status: number;
  /** Anti-Captcha / 2Captcha equivalent: numeric errorId and code. */
  taskapi: readonly [number, string];
}

/**
 * CapSolver code → HTTP status (CapSolver answers 400 for request errors and 401 for key errors; busy answers
 * use 429 so clients back off: the official Python SDK raises RateLimitError on 429 and ServiceUnavailableError
 * on 503) and the Anti-Captcha equivalent (errorId, errorCode), which those providers send in HTTP 200.
 */
export const WIRE_CODES: Readonly<Record<WireCode, CodeSpec>> = {
  ERROR_INVALID_TASK_DATA: { status: 400, taskapi: [22, 'ERROR_TASK_ABSENT'] },
  ERROR_BAD_REQUEST: { status: 400, taskapi: [14, 'ERROR_NO_SUCH_METHOD'] },
  ERROR_INVALID_IMAGE: { status: 400, taskapi: [15, 'ERROR_IMAGE_TYPE_NOT_SUPPORTED'] },
  ERROR_TASK_NOT_SUPPORTED: { status: 400, taskapi: [23, 'ERROR_TASK_NOT_SUPPORTED'] },
  ERROR_KEY_DENIED_ACCESS: { status: 401, taskapi: [1, 'ERROR_KEY_DOES_NOT_EXIST'] },
  ERROR_KEY_DOES_NOT_EXIST: { status: 401, taskapi: [1, 'ERROR_KEY_DOES_NOT_EXIST'] },
  ERROR_TASKID_INVALID: { status: 400, taskapi: [16, 'ERROR_NO_SUCH_CAPCHA_ID'] },
  ERROR_CAPTCHA_UNSOLVABLE: { status: 400, taskapi: [12, 'ERROR_CAPTCHA_UNSOLVABLE'] },
  ERROR_TASK_TIMEOUT: { status: 400, taskapi: [12, 'ERROR_CAPTCHA_UNSOLVABLE'] },
  ERROR_SERVICE_UNAVALIABLE: { status: 429, taskapi: [2, 'ERROR_NO_SLOT_AVAILABLE'] },
  ERROR_RATE_LIMIT: { status: 429, taskapi: [2, 'ERROR_NO_SLOT_AVAILABLE'] },
};

/** An error answered on the wire. `status` overrides the code's usual HTTP status (413, 503, 404, 405). */
export class WireError extends Error {
  readonly code: WireCode;
  readonly status: number;
  /** Seconds for a `Retry-After` header (busy answers). */
  readonly retryAfter?: number;
  /** Anti-Captcha code override (e.g. ERROR_TOO_BIG_CAPTCHA_FILESIZE for a too-large body). */
  readonly taskapiCode?: readonly [number, string];

  constructor(code: WireCode, description: string, extra: { status?: number; retryAfter?: number; taskapi?: readonly [number, string] } = {}) {
    super(description);
    this.name = 'WireError';
    this.code = code;
    this.status = extra.status ?? WIRE_CODES[code].status;
    this.retryAfter = extra.retryAfter;
    this.taskapiCode = extra.taskapi;
  }
}

export type JsonBody = Record<string, unknown>;

export interface WireResponse {
  status: number;
  body: JsonBody;
  headers?: Record<string, string>;
}

/** The error answer in a dialect. Key sets: CapSolver `{ errorId, errorCode, errorDescription }`; the task API likewise. */
export function errorResponse(error: WireError, dialect: Dialect): WireResponse {
  const headers: Record<string, string> = {};
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
  if (dialect === 'taskapi') {
    const [errorId, errorCode] = error.taskapiCode ?? WIRE_CODES[error.code].taskapi;
    // Anti-Captcha and 2Captcha answer API errors in HTTP 200; only a refused oversized body keeps its 413.
    const status = error.status === 413 ? 413 : 200;
    return { status, headers, body: { errorId, errorCode, errorDescription: error.message } };
  }
  return { status: error.status, headers, body: { errorId: 1, errorCode: error.code, errorDescription: error.message } };
}

/**
 * CapSolver's `solution` of an ImageToTextTask: `{ text }`, or for an `images` task (module `number`)
 * `{ answers }`, one answer per image in the order sent.
 */
function capsolverSolution(answer: string | readonly string[]): JsonBody {
  return typeof answer === 'string' ? { text: answer } : { answers: [...answer] };
}

/** CapSolver `createTask` for an ImageToTextTask: the answer itself (`answers` for an `images` task). */
export function capsolverReady(taskId: string, answer: string | readonly string[]): JsonBody {
  return { errorId: 0, errorCode: '', errorDescription: '', status: 'ready', solution: capsolverSolution(answer), taskId };
}

/** CapSolver `getTaskResult` of a finished task. */
export function capsolverResult(taskId: string, answer: string | readonly string[]): JsonBody {
  return { errorId: 0, errorCode: '', errorDescription: '', taskId, status: 'ready', solution: capsolverSolution(answer) };
}

/** CapSolver `getBalance`. */
export function capsolverBalance(balance: number): JsonBody {
  return { errorId: 0, errorCode: '', errorDescription: '', balance, packages: [] };
}

/** CapSolver `feedbackTask`. */
export function capsolverFeedback(message: string): JsonBody {
  return { errorId: 0, errorCode: '', errorDescription: '', message };
}

/** Task API `createTask`: `{ errorId: 0, taskId }` with an integer id. */
export function taskapiCreated(taskId: number): JsonBody {
  return { errorId: 0, taskId };
}

/** Task API `getTaskResult` while the task waits or runs. */
export function taskapiProcessing(): JsonBody {
  return { errorId: 0, status: 'processing' };
}

/** Task API `getTaskResult` of a solved task, with Anti-Captcha's fields (cost 0: offline solving is free). */
export function taskapiReady(text: string, info: { ip: string; createTime: number; endTime: number }): JsonBody {
  return {
    errorId: 0,
    status: 'ready',
    solution: { text, url: '' },
    cost: '0.00000',
    ip: info.ip,
    createTime: info.createTime,
    endTime: info.endTime,
    solveCount: 0,
  };
}

/** Task API `getBalance`. */
export function taskapiBalance(balance: number): JsonBody {
  return { errorId: 0, balance };
}

/** Task API `reportIncorrectImageCaptcha` / 2Captcha `reportIncorrect` / `reportCorrect`. */
export function taskapiReported(): JsonBody {
  return { errorId: 0, status: 'success' };
}

/** Fields only Anti-Captcha / 2Captcha / CapMonster clients put in an ImageToTextTask (CapSolver has none of them). */
export const TASKAPI_ONLY_TASK_FIELDS = ['phrase', 'numeric', 'math', 'minLength', 'maxLength', 'comment', 'languagePool', 'recognizingThreshold', 'CapMonsterModule', 'capMonsterModule'] as const;

/**
 * Which dialect a root-path request speaks, from its shape: a top-level `softId` (Anti-Captcha and 2Captcha
 * clients send one) or any task field only those APIs define → `taskapi`; a numeric `taskId` → `taskapi`
 * (CapSolver's ids are strings); everything else → `capsolver`.
 */
export function dialectOf(body: JsonBody): Dialect {
  if ('softId' in body) return 'taskapi';
  if (typeof body.taskId === 'number') return 'taskapi';
  const task = body.task;
  if (task && typeof task === 'object' && !Array.isArray(task)) {
    for (const field of TASKAPI_ONLY_TASK_FIELDS) if (field in (task as JsonBody)) return 'taskapi';
  }
  return 'capsolver';
}
