#!/usr/bin/env node
// Adaptation benchmark: adapt the shipped model on the first 300 images of each dev set, read the rest.
// Runs the TypeScript sources through tsx (no build needed): `npm run bench:adapt -- --only sysu`.
// Options: --only NAME, --epochs N, --train N, --other-limit N, --layers N; env CAPTCHA_DEV_DATA.
// Prints a markdown table; asserts nothing.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./lib/adapt.ts');
try {
  await main(process.argv.slice(2));
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
}
