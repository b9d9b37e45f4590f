/**
 * Shared by the server tests: tiny PNGs whose size encodes what a fake solver reads, the fake solver, and a
 * raw JSON POST over undici (so the tests see exactly what goes over the wire).
 */
import { request, type Dispatcher } from 'undici';
import { InvalidImageError, UnsolvableError } from '../../src/core/errors.js';
import type { ImageToTextTask, Solution, SolveOptions, Solver } from '../../src/core/types.js';

/** A PNG signature + IHDR chunk (enough for format sniffing and for the fake solver to read the size). */
export function png(width: number, height: number): Buffer {
  const buf = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(buf, 0);
  buf.writeUInt32BE(13, 8);
  buf.write('IHDR', 12, 'latin1');
  buf.writeUInt32BE(width, 16);
  buf.writeUInt32BE(height, 20);
  buf[24] = 8; // bit depth
  buf[25] = 0; // grayscale
  return buf;
}

export function pngBody(width: number, height: number): string {
  return png(width, height).toString('base64');
}

/** What the fake solver reads from `pngBody(w, h)`: mixed case, so `case: false` is visible. */
export function expectedText(width: number, height: number): string {
  return `Ab${width}x${height}`;
}

export interface FakeSolverOptions {
  /** ms each solve takes. */
  delay?: number;
  /** Throw this instead of answering. */
  fail?: () => Error;
  /** Every solve waits for this before answering (lets a test hold solves until it is ready). */
  gate?: Promise<void>;
}

/**
 * A Solver that reads the image size from the PNG header: text `Ab{w}x{h}`, confidence h/100 (capped at 1).
 * It records how many solves ran at once and every task it got.
 */
export class FakeSolver implements Solver {
  readonly name = 'fake';
  running = 0;
  maxRunning = 0;
  calls = 0;
  readonly tasks: ImageToTextTask[] = [];
  readonly reported: Solution[] = [];
  /** Tests may install one to see whether the server closes a solver it was given. */
  close?: () => Promise<void>;

  constructor(public options: FakeSolverOptions = {}) {}

  async solve(task: ImageToTextTask, _options: SolveOptions = {}): Promise<Solution> {
    this.calls++;
    this.tasks.push(task);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      if (this.options.gate) await this.options.gate;
      if (this.options.delay) await new Promise((r) => setTimeout(r, this.options.delay));
      if (this.options.fail) throw this.options.fail();
      const bytes = Buffer.from(task.body, 'base64');
      if (bytes.length < 24 || bytes.toString('latin1', 12, 16) !== 'IHDR') throw new InvalidImageError('fake: not a PNG with IHDR');
      const w = bytes.readUInt32BE(16);
      const h = bytes.readUInt32BE(20);
      return { text: expectedText(w, h), provider: this.name, elapsedMs: this.options.delay ?? 0, confidence: Math.min(1, h / 100) };
    } finally {
      this.running--;
    }
  }

  async reportIncorrect(solution: Solution): Promise<void> {
    this.reported.push(solution);
  }
}

export { UnsolvableError };

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: Record<string, unknown>;
  text: string;
}

/** POSTs `body` (an object → JSON, a string/Buffer → as is) and returns status, headers and parsed JSON. */
export async function post(
  url: string,
  body: unknown,
  options: { contentType?: string; headers?: Record<string, string>; method?: Dispatcher.HttpMethod; dispatcher?: Dispatcher; timeout?: number } = {},
): Promise<RawAnswer> {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const res = await request(url, {
    method: options.method ?? 'POST',
    headers: { 'content-type': options.contentType ?? 'application/json', ...options.headers },
    body: options.method === 'GET' ? undefined : payload,
    dispatcher: options.dispatcher,
    headersTimeout: options.timeout ?? 15_000,
    bodyTimeout: options.timeout ?? 15_000,
  });
  const text = await res.body.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = {};
  }
  return { status: res.statusCode, headers: res.headers, json, text };
}

export const sortedKeys = (o: Record<string, unknown>) => Object.keys(o).sort();

/** A promise the test opens when it wants. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
