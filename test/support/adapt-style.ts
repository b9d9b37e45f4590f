/**
 * A captcha style of our own for the adaptation tests, drawn with @napi-rs/canvas: light glyphs on a dark
 * background, squeezed to half their width and tilted, crossed by two wavy bars. The shipped model reads it badly;
 * a seed gives a fresh, reproducible set.
 */
import { createCanvas } from '@napi-rs/canvas';

export const STYLE_CHARSET = '2345678abcdefhkmnprstuvwxyz';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Five characters of the style's charset. */
const code = (random: () => number): string => Array.from({ length: 5 }, () => STYLE_CHARSET[Math.floor(random() * STYLE_CHARSET.length)]!).join('');

/** A sum of two numbers 2–89 (digits the charset has), as sign-up forms draw it: `47+8`. */
export const sumText = (random: () => number): string => {
  const n = () => String(2 + Math.floor(random() * 88)).replace(/[01]/g, '7');
  return `${n()}+${n()}`;
};

/** One PNG of the style and its text. */
function draw(random: () => number, makeText: (random: () => number) => string): { image: Buffer; text: string } {
  const text = makeText(random);
  const canvas = createCanvas(140, 48);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#1d2348';
  ctx.fillRect(0, 0, 140, 48);
  for (let i = 0; i < 120; i++) {
    ctx.fillStyle = `rgba(255,255,255,${0.2 + random() * 0.3})`;
    ctx.fillRect(random() * 140, random() * 48, 1.5, 1.5);
  }
  ctx.fillStyle = '#f4e27a';
  ctx.font = 'bold 34px "DejaVu Serif", serif';
  for (let i = 0; i < text.length; i++) {
    ctx.save();
    ctx.translate(14 + i * 24 + random() * 4, 36 + random() * 4);
    ctx.rotate((random() - 0.5) * 0.5);
    ctx.scale(0.55, 1);
    ctx.fillText(text[i]!, 0, 0);
    ctx.restore();
  }
  ctx.strokeStyle = '#f4e27a';
  ctx.lineWidth = 2.5;
  for (let k = 0; k < 2; k++) {
    const y0 = 14 + random() * 20, amp = 4 + random() * 6, phase = random() * 6;
    ctx.beginPath();
    for (let x = 0; x <= 140; x += 4) ctx.lineTo(x, y0 + amp * Math.sin(x / 14 + phase));
    ctx.stroke();
  }
  return { image: canvas.toBuffer('image/png'), text };
}

/** `n` labelled images of the style from `seed`: five-character codes, or the texts `makeText` draws. */
export function styleImages(n: number, seed: number, makeText: (random: () => number) => string = code): { name: string; image: Buffer; text: string }[] {
  const random = rng(seed);
  return Array.from({ length: n }, (_, i) => ({ name: `s${seed}-${i}.png`, ...draw(random, makeText) }));
}
