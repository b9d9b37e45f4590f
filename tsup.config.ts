import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    playwright: 'src/playwright.ts',
    puppeteer: 'src/puppeteer.ts',
    'puppeteer-extra': 'src/plugins/extra.ts',
    test: 'src/plugins/playwright-test.ts',
    server: 'src/server/index.ts',
    cli: 'src/cli/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  shims: true,
  external: ['playwright-core', 'playwright', 'puppeteer-core', 'puppeteer', 'puppeteer-extra', 'playwright-extra', 'puppeteer-extra-plugin', '@playwright/test', 'onnxruntime-node', 'sharp', 'undici'],
});
