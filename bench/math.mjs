#!/usr/bin/env node
// The math model's readings without "=" on every set: what the rule for untold arithmetic takes, and would take at
// other thresholds. `npm run bench:math -- [--limit N] [--model PATH]`. Prints a markdown table; asserts nothing.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./lib/arithmetic.ts');
try {
  await main(process.argv.slice(2));
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
}
