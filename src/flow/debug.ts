/**
 * Opt-in debug artifacts: per attempt the captured image, a screenshot of the captcha, and a JSON with
 * answer, provider, timings, capture method and outcome. Never an API key (everything is redacted).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redactValue } from '../core/redact.js';
import { debug } from '../core/log.js';

export class DebugWriter {
  private dir?: Promise<string | undefined>;

  constructor(private readonly root: string | undefined) {}

  get enabled(): boolean {
    return !!this.root;
  }

  private folder(): Promise<string | undefined> {
    this.dir ??= (async () => {
      if (!this.root) return undefined;
      const d = join(this.root, `${new Date().toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 8)}`);
      await mkdir(d, { recursive: true });
      return d;
    })().catch((err) => {
      debug('flow', `debug dir: ${(err as Error).message}`);
      return undefined;
    });
    return this.dir;
  }

  /** Writes one file; failures are logged, never thrown. */
  async write(name: string, data: Buffer | string | object): Promise<void> {
    if (!this.root) return;
    try {
      const dir = await this.folder();
      if (!dir) return;
      const body = Buffer.isBuffer(data) || typeof data === 'string' ? data : JSON.stringify(redactValue(data), null, 2);
      await writeFile(join(dir, name), body);
    } catch (err) {
      debug('flow', `debug artifact ${name}: ${(err as Error).message}`);
    }
  }
}
