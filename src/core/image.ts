/**
 * Image bytes ↔ the `body` string every provider takes: base64, no `data:` prefix, no newlines.
 */
import { InvalidImageError } from './errors.js';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'svg' | 'ico' | 'tiff' | 'avif';

/** Tells the format from the magic bytes (a `data:` MIME label can lie). */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'gif';
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45 && b[10] === 0x42 && b[11] === 0x50) return 'webp';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  if (b.length >= 4 && b[0] === 0x00 && b[1] === 0x00 && b[2] === 0x01 && b[3] === 0x00) return 'ico';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2a))) return 'tiff';
  if (b.length >= 12 && b[4] === 0x66 && b[5] === 0x74 && b[6] === 0x79 && b[7] === 0x70 && b[8] === 0x61 && b[9] === 0x76 && b[10] === 0x69 && b[11] === 0x66) return 'avif';
  const head = Buffer.from(b.subarray(0, Math.min(b.length, 512))).toString('utf8').trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'svg';
  return undefined;
}

export const MIME_BY_FORMAT: Record<ImageFormat, string> = {
  png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', bmp: 'image/bmp',
  svg: 'image/svg+xml', ico: 'image/x-icon', tiff: 'image/tiff', avif: 'image/avif',
};

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*?),(.*)$/is;
const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Turns a Buffer, a data URL or a base64 string (with or without newlines, URL-safe or not)
 * into the canonical base64 body. Throws InvalidImageError for anything that is not base64.
 */
export function toBase64Body(input: string | Uint8Array): string {
  if (typeof input !== 'string') {
    if (input.length === 0) throw new InvalidImageError('The image is empty (0 bytes)', { hint: 'Capture the captcha again' });
    return Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('base64');
  }
  let text = input.trim();
  const m = DATA_URL.exec(text);
  if (m) {
    const isBase64 = /;base64/i.test(m[2] ?? '');
    const payload = m[3] ?? '';
    if (!isBase64) return Buffer.from(decodeURIComponent(payload), 'utf8').toString('base64');
    text = payload;
  }
  text = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (text.length === 0) throw new InvalidImageError('The image body is empty', { hint: 'Pass the image as base64, a data: URL or a Buffer' });
  if (text.length % 4 !== 0) text = text.padEnd(text.length + (4 - (text.length % 4)), '=');
  if (!BASE64_CHARS.test(text)) {
    throw new InvalidImageError('The image body is not base64', { hint: 'Pass the image as base64 (no data: prefix), a data: URL or a Buffer' });
  }
  return text;
}

/** Decodes a body (base64, data URL or bytes) to bytes. */
export function toImageBytes(input: string | Uint8Array): Buffer {
  if (typeof input !== 'string') return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  return Buffer.from(toBase64Body(input), 'base64');
}
