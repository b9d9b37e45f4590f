/**
 * A lock file shared by threads and processes: created with O_EXCL (`wx`), holding a random token, removed by its
 * owner only. A lock older than `staleMs` (its holder crashed) is broken by renaming it away first, so two waiters
 * cannot both break it and then remove each other's fresh lock.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';

export interface LockOptions {
  /** Give up after waiting this long, in ms. */
  timeoutMs: number;
  /** A lock file older than this is a crashed holder's, in ms. */
  staleMs: number;
}

/** Why {@link acquireLock} gave up: the lock stayed busy, or the file system refused (errno in `cause`). */
export class LockBusyError extends Error {
  override name = 'LockBusyError';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Takes the lock at `path` and resolves to its release function (which never throws). */
export async function acquireLock(path: string, options: LockOptions): Promise<() => Promise<void>> {
  const token = `${process.pid}.${randomBytes(8).toString('hex')}`;
  const until = Date.now() + options.timeoutMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    try {
      await writeFile(path, token, { flag: 'wx' });
      return () => releaseLock(path, token);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    await breakIfStale(path, options.staleMs);
    if (Date.now() >= until) throw new LockBusyError(`the lock ${path} stayed busy for ${options.timeoutMs}ms`);
    await sleep(delay + Math.random() * delay);
  }
}

async function breakIfStale(path: string, staleMs: number): Promise<void> {
  const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => -1);
  if (age < staleMs) return;
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  // only one waiter wins the rename; the others find no file and retry the create
  if (await rename(path, aside).then(() => true, () => false)) await unlink(aside).catch(() => {});
}

async function releaseLock(path: string, token: string): Promise<void> {
  const held = await readFile(path, 'utf8').catch(() => undefined);
  if (held === token) await unlink(path).catch(() => {});
}
