import { describe, expect, it } from 'vitest';
import { InvalidImageError } from '../../src/core/errors.js';
import { sniffImageFormat } from '../../src/core/image.js';
import { IMAGE_LIMITS, fitImage } from '../../src/solvers/image-limits.js';
import { captchaPng, dimensions, noisyPng, webp } from '../support/providers/images.js';

describe('fitImage', () => {
  it('returns a fitting image unchanged (same string)', async () => {
    const body = (await captchaPng()).toString('base64');
    for (const limits of Object.values(IMAGE_LIMITS)) {
      const out = await fitImage(body, limits);
      expect(out.changed).toBe(false);
      expect(out.body).toBe(body);
      expect(out.format).toBe('png');
    }
  });

  it('converts a format the provider does not take (WebP) to PNG, losslessly', async () => {
    const src = await webp(120, 40);
    const out = await fitImage(src.toString('base64'), IMAGE_LIMITS.anticaptcha);
    expect(out.changed).toBe(true);
    expect(out.format).toBe('png');
    const bytes = Buffer.from(out.body, 'base64');
    expect(sniffImageFormat(bytes)).toBe('png');
    expect(await dimensions(bytes)).toMatchObject({ width: 120, height: 40 });
    expect(out.note).toContain('format webp not accepted');
  });

  it('downscales an image wider than 2Captcha\'s 600px, keeping the aspect ratio', async () => {
    const src = await captchaPng('wide', 900, 300);
    const out = await fitImage(src.toString('base64'), IMAGE_LIMITS['2captcha']);
    expect(out.changed).toBe(true);
    const d = await dimensions(Buffer.from(out.body, 'base64'));
    expect(Math.max(d.width, d.height)).toBeLessThanOrEqual(600);
    expect(d.width).toBe(600);
    expect(d.height).toBe(200);
  });

  it('re-encodes a file over the byte limit as JPEG until it fits', async () => {
    const src = await noisyPng(500, 500);
    expect(src.length).toBeGreaterThan(500_000);
    const out = await fitImage(src.toString('base64'), IMAGE_LIMITS.anticaptcha);
    expect(out.changed).toBe(true);
    expect(out.format).toBe('jpeg');
    const bytes = Buffer.from(out.body, 'base64');
    expect(bytes.length).toBeLessThanOrEqual(500_000);
    expect(out.bytes).toBe(bytes.length);
    expect(sniffImageFormat(bytes)).toBe('jpeg');
  });

  it('meets 2Captcha\'s 100 kB and 600px together', async () => {
    const src = await noisyPng(800, 700);
    const out = await fitImage(src.toString('base64'), IMAGE_LIMITS['2captcha']);
    const bytes = Buffer.from(out.body, 'base64');
    expect(bytes.length).toBeLessThanOrEqual(100_000);
    const d = await dimensions(bytes);
    expect(Math.max(d.width, d.height)).toBeLessThanOrEqual(600);
  });

  it('pads a file under 100 bytes by re-encoding it as JPEG', async () => {
    const gif1x1 = 'R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==';
    expect(Buffer.from(gif1x1, 'base64').length).toBeLessThan(100);
    const out = await fitImage(gif1x1, IMAGE_LIMITS.capmonster);
    expect(out.changed).toBe(true);
    expect(out.bytes).toBeGreaterThanOrEqual(100);
    expect(await dimensions(Buffer.from(out.body, 'base64'))).toMatchObject({ width: 1, height: 1, format: 'jpeg' });
  });

  it('throws InvalidImageError for bytes that are not an image', async () => {
    const junk = Buffer.from('this is not an image at all, just text padding it past one hundred bytes.............................').toString('base64');
    await expect(fitImage(junk, IMAGE_LIMITS.anticaptcha, 'AntiCaptcha.solve')).rejects.toThrow(InvalidImageError);
    await expect(fitImage(junk, IMAGE_LIMITS.anticaptcha, 'AntiCaptcha.solve')).rejects.toThrow(/^AntiCaptcha\.solve: The image cannot be decoded/);
  });

  it('throws InvalidImageError when nothing can fit', async () => {
    const src = await captchaPng();
    await expect(fitImage(src.toString('base64'), { maxBytes: 50 })).rejects.toThrow(/cannot be made to fit/);
  });
});
