/** Runs a child process to its end for the e2e tests (the CLI, the examples, `npx playwright test`). */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export interface ProcessRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunProcessOptions {
  /** The child's whole environment; entries set to `undefined` are left out. */
  env: Record<string, string | undefined>;
  timeoutMs: number;
  /** Default: the repository root. */
  cwd?: string;
}

/**
 * Collects stdout and stderr and resolves with the exit code. Past `timeoutMs` the whole process group gets
 * SIGKILL (npx → tsx → node → Chromium) and the promise rejects with the tail of stderr.
 */
export function runProcess(cmd: string, args: string[], options: RunProcessOptions): Promise<ProcessRun> {
  return new Promise((resolvePromise, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = v;
    const child = spawn(cmd, args, { cwd: options.cwd ?? resolve(__dirname, '../..'), env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      reject(new Error(`${cmd} ${args.join(' ')} did not exit in ${options.timeoutMs}ms\n${stderr.slice(-2000)}`));
    }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

