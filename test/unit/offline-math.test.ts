/** Arithmetic captchas: which readings are expressions, and their values. */
import { describe, expect, it } from 'vitest';
import { MATH_MIN_CONFIDENCE, mathConfidenceNeeded, UNTOLD_MATH_TEXT_BELOW } from '../../src/solvers/offline/local-solver.js';
import { parseArithmetic } from '../../src/solvers/offline/math.js';

describe('parseArithmetic', () => {
  it('reads the forms generators draw: RuoYi/Kaptcha, EasyCaptcha, svg-captcha, Securimage, mews', () => {
    expect(parseArithmetic('3+5=?')).toEqual({ expression: '3+5=?', value: 8 });
    expect(parseArithmetic('9-4=?')?.value).toBe(5);
    expect(parseArithmetic('6*7=?')?.value).toBe(42);
    expect(parseArithmetic('8/2=?')?.value).toBe(4);
    expect(parseArithmetic('7x2=?')?.value).toBe(14);
    expect(parseArithmetic('12+30')?.value).toBe(42);
    expect(parseArithmetic('12-30=')?.value).toBe(-18);
    expect(parseArithmetic('4×6')?.value).toBe(24);
    expect(parseArithmetic('81÷9=?')?.value).toBe(9);
  });

  it('three numbers: times and division before plus and minus, left to right', () => {
    expect(parseArithmetic('2+3x4=?')?.value).toBe(14);
    expect(parseArithmetic('8-4-5=?')?.value).toBe(-1);
    expect(parseArithmetic('9/3*2')?.value).toBe(6);
    expect(parseArithmetic('7-2x3=?')?.value).toBe(1);
  });

  it('refuses what is not an expression: plain codes, a lone number, operators without numbers, 4-digit numbers', () => {
    for (const text of ['', 'aB3xK', '48213', '3+', '+3', '3++5', '3+5?', '=?', '1234+5', '3+5=6', '3x', 'x5', '2+3+4+5']) {
      expect(parseArithmetic(text), text).toBeUndefined();
    }
  });

  it('refuses a division with a remainder or by zero (generators draw exact ones: a misreading)', () => {
    expect(parseArithmetic('7/2=?')).toBeUndefined();
    expect(parseArithmetic('5/0')).toBeUndefined();
    expect(parseArithmetic('0/5')?.value).toBe(0);
  });
});

describe('mathConfidenceNeeded', () => {
  it('0.5 for "=?" (RuoYi, Kaptcha, EasyCaptcha), 0.8 for a lone "=", whatever the text model read', () => {
    expect(mathConfidenceNeeded('3+5=?')).toBe(0.5);
    expect(mathConfidenceNeeded('3+5=', 0.99)).toBe(0.8);
  });

  it('without "=": only when the text model is unsure of the image too (a noise line read as a minus is not)', () => {
    expect(mathConfidenceNeeded('12-4')).toBeGreaterThan(1);
    expect(mathConfidenceNeeded('12-4', UNTOLD_MATH_TEXT_BELOW)).toBeGreaterThan(1);
    expect(mathConfidenceNeeded('12+20', UNTOLD_MATH_TEXT_BELOW - 0.01)).toBe(MATH_MIN_CONFIDENCE.none);
    expect(MATH_MIN_CONFIDENCE.none).toBeGreaterThan(MATH_MIN_CONFIDENCE['=']);
  });
});
