/**
 * Plumbing every `image-captcha` command shares: exit codes, the usage error, where output goes, argument
 * parsing, and leaving quietly when the reader of our output goes away.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export const EXIT = { ok: 0, failed: 1, usage: 2, notFound: 3, timeout: 4, account: 5, interrupted: 130 } as const;

/** A mistake in the command line: printed as `image-captcha: <message>`, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Where a command writes: stdout carries only results, stderr progress and errors. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const defaultIo: Io = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

/** node:util parseArgs, strict, with `--no-x` negations; its errors become {@link UsageError}s. */
export function parse(args: string[], options: ParseArgsConfig['options']) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true, allowNegative: true } as ParseArgsConfig);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** `--length 5` (exactly five characters) or `--length 4-6` → minLength/maxLength. */
export function lengthOption(value: unknown): { minLength: number; maxLength: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,2})(?:-(\d{1,2}))?$/.exec(String(value).trim());
  const min = m ? Number(m[1]) : Number.NaN;
  const max = m ? Number(m[2] ?? m[1]) : Number.NaN;
  if (!m || min < 1 || max > 64 || min > max) throw new UsageError(`--length must be N or MIN-MAX, characters from 1 to 64 (got "${String(value)}")`);
  return { minLength: min, maxLength: max };
}

/**
 * Exits 0 at once when a reader of `stream` goes away (`image-captcha ocr … | head -3`): Unix tools stop quietly
 * on EPIPE instead of printing a stack. Other stream errors are thrown as before.
 */
export function exitQuietlyOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(EXIT.ok);
  });
}
