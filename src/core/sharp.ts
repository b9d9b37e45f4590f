/**
 * sharp, imported on first use: a caller that never touches an image (a cloud solve from bytes the page gave
 * as-is) does not pay for loading libvips.
 */
type Sharp = typeof import('sharp');

let sharpModule: Promise<Sharp> | undefined;

/** The sharp factory (CJS/ESM interop: the function may sit under `default`). */
export function loadSharp(): Promise<Sharp> {
  sharpModule ??= import('sharp').then((m) => ((m as unknown as { default?: Sharp }).default ?? m) as Sharp);
  return sharpModule;
}
