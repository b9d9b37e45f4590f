/**
 * Arithmetic captchas ("3+5=?", "7x2=?", "12 - 4"): the site wants the value, not the text. The small math model
 * (`models/captcha-math.onnx`) reads the expression; this module checks that the reading is an expression a
 * captcha generator draws and computes its value.
 *
 * Grammar: 2 or 3 whole numbers of 1–3 digits joined by `+`, `-`, `*`, `x`, `×`, `/` or `÷`, then optionally `=` or
 * `=?` (how sure `LocalSolver` must be to take each form, unasked: `mathConfidenceNeeded`). Times and division go
 * before plus and minus. A division that leaves a remainder is not a captcha (generators draw exact ones), so such a
 * reading is refused.
 */

/** An expression read from a captcha, and its value. */
export interface Arithmetic {
  /** What the image shows, as read (e.g. `3+5=?`). */
  expression: string;
  /** Its value, the answer to type. */
  value: number;
}

const NUMBER = '(\\d{1,3})';
const OP = '([+\\-*x×/÷])';
const EXPRESSION = new RegExp(`^${NUMBER}${OP}${NUMBER}(?:${OP}${NUMBER})?(?:=\\??)?$`);

/** The value of `text` when it is an arithmetic captcha's expression; undefined otherwise. */
export function parseArithmetic(text: string): Arithmetic | undefined {
  const m = EXPRESSION.exec(text);
  if (!m) return undefined;
  const numbers = [m[1], m[3], m[5]].filter((v): v is string => v !== undefined).map(Number);
  const ops = [m[2], m[4]].filter((v): v is string => v !== undefined).map((op) => (op === 'x' || op === '×' ? '*' : op === '÷' ? '/' : op));
  // times and division first, left to right, then plus and minus
  const terms: number[] = [numbers[0]!];
  const signs: string[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const n = numbers[i + 1]!;
    if (op === '*' || op === '/') {
      const left = terms.pop()!;
      if (op === '/' && (n === 0 || left % n !== 0)) return undefined;
      terms.push(op === '*' ? left * n : left / n);
    } else {
      signs.push(op);
      terms.push(n);
    }
  }
  let value = terms[0]!;
  signs.forEach((op, i) => {
    value = op === '+' ? value + terms[i + 1]! : value - terms[i + 1]!;
  });
  return { expression: text, value };
}
