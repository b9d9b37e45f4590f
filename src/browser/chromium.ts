/**
 * The Chromium launch flags we recommend (and the CLI and tests use): keep the browser off the network it does not
 * need (background networking, component updates, sync, QUIC) and out of sandbox/GPU trouble in containers.
 */
export const SAFE_CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];
