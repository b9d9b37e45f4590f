/** Real test images made with sharp: small captcha-like PNGs and big noisy ones that break size limits. */
import sharp from 'sharp';

/** A PNG with dark text on a light background, like a captcha. */
export async function captchaPng(text = 'x7k2p', width = 160, height = 60): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="#f4f1e8"/>
    <text x="12" y="${Math.round(height * 0.7)}" font-family="sans-serif" font-size="${Math.round(height * 0.55)}" fill="#222">${text}</text>
    <line x1="0" y1="${height / 2}" x2="${width}" y2="${height / 3}" stroke="#777" stroke-width="2"/>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Deterministic pseudo-random noise (PNG compresses it badly, so the file is big). */
export async function noisyPng(width: number, height: number, seed = 7): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s >>> 24;
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 9 }).toBuffer();
}

/** The captcha-like image as lossless WebP (a format the task-API clouds do not accept). */
export async function webp(width = 120, height = 40): Promise<Buffer> {
  return sharp(await captchaPng('q4zr', width, height)).webp({ lossless: true }).toBuffer();
}

/** Width and height of an encoded image. */
export async function dimensions(bytes: Buffer): Promise<{ width: number; height: number; format: string }> {
  const m = await sharp(bytes).metadata();
  return { width: m.width ?? 0, height: m.height ?? 0, format: m.format ?? '' };
}
