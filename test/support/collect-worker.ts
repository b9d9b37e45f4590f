/**
 * A child process for test/unit/collect.test.ts: writes samples into one collect folder, as another process on
 * the same machine would. Usage: tsx collect-worker.ts <dir> <json [{ body (base64), text }]>; prints the statuses.
 */
import { collectSample } from '../../src/collect/index.js';

const [dir, json] = process.argv.slice(2);
const samples = JSON.parse(json!) as Array<{ body: string; text: string }>;
const statuses = await Promise.all(samples.map((s) => collectSample(dir!, Buffer.from(s.body, 'base64'), s.text).then((r) => r.status)));
process.stdout.write(JSON.stringify(statuses));
