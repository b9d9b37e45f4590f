#!/usr/bin/env node
// OCR benchmark: our shipped model vs ddddocr on the validation sets and the held-out synthetic families.
// Runs the TypeScript sources through tsx (no build needed): `npm run bench:ocr -- --limit 200`.
// Options: --limit N, --only NAME, --model PATH, --no-ddddocr, --threads N, --regen-holdout; env CAPTCHA_DEV_DATA.
// Prints a markdown table; asserts nothing.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./lib/bench.ts');
try {
  await main(process.argv.slice(2));
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
}
