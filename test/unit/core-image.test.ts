import { describe, expect, it } from 'vitest';
import { InvalidImageError } from '../../src/core/errors.js';
import { MIME_BY_FORMAT, sniffImageFormat, toBase64Body, toImageBytes } from '../../src/core/image.js';
import { captchaPng } from '../support/providers/images.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('sniffImageFormat', () => {
  it('tells formats from magic bytes', () => {
    expect(sniffImageFormat(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toBe('png');
    expect(sniffImageFormat(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('jpeg');
    expect(sniffImageFormat(Buffer.from('GIF89a'))).toBe('gif');
    expect(sniffImageFormat(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
    expect(sniffImageFormat(Buffer.from('BM\0\0'))).toBe('bmp');
    expect(sniffImageFormat(bytes(0, 0, 1, 0, 1, 0))).toBe('ico');
    expect(sniffImageFormat(bytes(0x49, 0x49, 0x2a, 0))).toBe('tiff');
    expect(sniffImageFormat(bytes(0x4d, 0x4d, 0, 0x2a))).toBe('tiff');
    expect(sniffImageFormat(Buffer.from('\0\0\0\x1cftypavif'))).toBe('avif');
    expect(sniffImageFormat(Buffer.from('  <svg xmlns="http://www.w3.org/2000/svg"></svg>'))).toBe('svg');
    expect(sniffImageFormat(Buffer.from('<?xml version="1.0"?><svg></svg>'))).toBe('svg');
  });

  it('answers undefined for text, truncated headers and empty input', () => {
    expect(sniffImageFormat(Buffer.from('hello world'))).toBeUndefined();
    expect(sniffImageFormat(bytes(0x89, 0x50, 0x4e))).toBeUndefined();
    expect(sniffImageFormat(new Uint8Array())).toBeUndefined();
    expect(sniffImageFormat(Buffer.from('<?xml version="1.0"?><html/>'))).toBeUndefined();
  });

  it('recognises a real PNG and has a MIME type for every format', async () => {
    expect(sniffImageFormat(await captchaPng())).toBe('png');
    expect(MIME_BY_FORMAT.jpeg).toBe('image/jpeg');
    expect(MIME_BY_FORMAT.svg).toBe('image/svg+xml');
  });
});

describe('toBase64Body', () => {
  it('encodes bytes, including a view into a larger buffer', () => {
    const big = Buffer.from('xxHELLOxx');
    const view = new Uint8Array(big.buffer, big.byteOffset + 2, 5);
    expect(toBase64Body(view)).toBe(Buffer.from('HELLO').toString('base64'));
    expect(toBase64Body(Buffer.from([1, 2, 3]))).toBe('AQID');
  });

  it('strips a data: URL prefix and whitespace/newlines', () => {
    expect(toBase64Body('data:image/png;base64,iVBORw0K\nGgo=')).toBe('iVBORw0KGgo=');
    expect(toBase64Body('  iVBO\r\nRw0K GgoA  ')).toBe('iVBORw0KGgoA');
    expect(toBase64Body('DATA:image/jpeg;BASE64,/9j/4AAQ')).toBe('/9j/4AAQ');
  });

  it('converts URL-safe base64 and restores padding', () => {
    expect(toBase64Body('-_8')).toBe('+/8=');
    expect(toBase64Body('AQ')).toBe('AQ==');
  });

  it('encodes a non-base64 data URL (e.g. inline SVG) as base64', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"/>';
    const body = toBase64Body(`data:image/svg+xml,${encodeURIComponent(svg)}`);
    expect(Buffer.from(body, 'base64').toString('utf8')).toBe(svg);
  });

  it('throws InvalidImageError for empty input and non-base64 text', () => {
    expect(() => toBase64Body(new Uint8Array())).toThrow(InvalidImageError);
    expect(() => toBase64Body('   ')).toThrow(InvalidImageError);
    expect(() => toBase64Body('data:image/png;base64,')).toThrow(/empty/);
    expect(() => toBase64Body('not base64!')).toThrow(InvalidImageError);
    expect(() => toBase64Body('https://example.com/captcha.png')).toThrow(/not base64/);
  });

  it('round-trips through toImageBytes', async () => {
    const png = await captchaPng();
    expect(toImageBytes(toBase64Body(png)).equals(png)).toBe(true);
    expect(toImageBytes(`data:image/png;base64,${png.toString('base64')}`).equals(png)).toBe(true);
    expect(toImageBytes(png).equals(png)).toBe(true);
  });
});
