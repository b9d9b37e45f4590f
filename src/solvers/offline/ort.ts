/**
 * Loads onnxruntime-node with its telemetry off.
 *
 * onnxruntime 1.29 added telemetry on Linux and macOS (microsoft/onnxruntime#27379: the Microsoft 1DS SDK, which
 * uploads usage events). Creating the first session collects system facts, and on Linux the 1DS code matches
 * `/proc/self/cmdline` against a `std::regex`: libstdc++'s regex executor recurses once per character, so a
 * process whose command line is about 30 KB or more (a shell glob of ~500 image paths, a test runner given many
 * files) overflows the 8 MB main-thread stack and dies with SIGSEGV (exit 139), before any of our code can
 * answer. `ORT_DISABLE_TELEMETRY=1`, set before the first session, turns the whole telemetry path off (no
 * uploader, no device id, no regex). An offline solver has no business sending usage events either, so we set
 * it unless the user set it. onnxruntime-node 1.31 no longer crashes on long command lines.
 *
 * The variable must reach the C environment (`getenv`): assigning `process.env` does that on the main thread
 * only (a worker thread's `process.env` is its own copy). Worker pools call {@link disableOrtTelemetry} on the
 * main thread before they start their workers.
 */
import { isMainThread } from 'node:worker_threads';
import type * as Ort from 'onnxruntime-node';

export type OrtModule = typeof Ort;

/** The variable onnxruntime reads (once, when its environment is created) to turn telemetry off. */
export const ORT_TELEMETRY_ENV = 'ORT_DISABLE_TELEMETRY';

/**
 * Sets `ORT_DISABLE_TELEMETRY=1` unless it is set already (a user's `0` is kept: telemetry, and the crash, are theirs). On a worker thread this changes only the worker's copy
 * of the environment: the thread that starts the worker must call it (as the server's pool does).
 */
export function disableOrtTelemetry(): void {
  // empty counts as unset: onnxruntime reads "" as "telemetry on"
  if (isMainThread && !process.env[ORT_TELEMETRY_ENV]) process.env[ORT_TELEMETRY_ENV] = '1';
}

/** `import('onnxruntime-node')` with telemetry off; the namespace whether it comes as ESM or CJS interop. */
export async function importOrt(): Promise<OrtModule> {
  disableOrtTelemetry();
  let ort = (await import('onnxruntime-node')) as OrtModule;
  // CJS interop: the namespace may sit under `default`
  if (!ort.InferenceSession && (ort as unknown as { default?: OrtModule }).default) ort = (ort as unknown as { default: OrtModule }).default;
  return ort;
}
