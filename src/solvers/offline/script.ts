/**
 * Latin or Cyrillic: the offline model reads Cyrillic captchas (Russian government and bank sites) with classes of
 * its own for the letters that look like no Latin one (б г д ж л п …), while the look-alikes (а в е к м н о р с т у х)
 * share the class of the Latin letter they are drawn as: no model can tell Cyrillic `с` from Latin `c` by the glyph.
 * The script is chosen per reading: a reading that holds a Cyrillic-only letter is Cyrillic, and then each look-alike
 * is read as its Cyrillic letter; the caller can also say which script to read (`script`, or a Cyrillic `charset`).
 * A Cyrillic reading never holds a Latin letter that looks like no Cyrillic one (`latinOnlyClasses`): LocalSolver
 * decodes such a reading again without them.
 *
 * Cyrillic is read in lower case (the classes are case-folded, as the sites that use it compare case-insensitively).
 * Mirrors `training/common.py` (`CYR_TO_CLASS`, `CLASS_TO_CYR`, `resolve_script`).
 */

/** Which alphabet a reading is in: `auto` decides from the reading itself. */
export type Script = 'auto' | 'latin' | 'cyrillic';

export const SCRIPTS: readonly Script[] = ['auto', 'latin', 'cyrillic'];

/** Cyrillic letters drawn like a Latin letter, and that letter's class (small в к м н т are small capitals). */
const LOOKALIKE_CLASS: Readonly<Record<string, string>> = {
  а: 'a', А: 'A', в: 'B', В: 'B', е: 'e', Е: 'E', ё: 'e', Ё: 'E', к: 'K', К: 'K', м: 'M', М: 'M', н: 'H', Н: 'H',
  о: 'o', О: 'O', р: 'p', Р: 'P', с: 'c', С: 'C', т: 'T', Т: 'T', у: 'y', У: 'Y', х: 'x', Х: 'X',
};

/** In a Cyrillic reading, the Cyrillic letter each shared Latin class stands for. */
const CLASS_CYRILLIC: Readonly<Record<string, string>> = {
  a: 'а', A: 'а', B: 'в', b: 'в', e: 'е', E: 'е', K: 'к', k: 'к', M: 'м', m: 'м', H: 'н', h: 'н', o: 'о', O: 'о',
  p: 'р', P: 'р', c: 'с', C: 'с', T: 'т', t: 'т', y: 'у', Y: 'у', x: 'х', X: 'х',
};

const CYRILLIC = /[\u0400-\u04ff]/u;

/** A Latin letter no Cyrillic letter is drawn like (r, i, l, s, …): in a Cyrillic reading, a misread. */
function latinOnly(c: string): boolean {
  return /^[a-z]$/iu.test(c) && !(c in CLASS_CYRILLIC);
}

/** Whether `text` holds a Latin letter no Cyrillic letter is drawn like. */
export function hasLatinOnly(text: string): boolean {
  return Array.from(text).some(latinOnly);
}

/** The indices of `classes` that are Latin letters no Cyrillic letter is drawn like (ruled out of a Cyrillic reading). */
export function latinOnlyClasses(classes: readonly string[]): number[] {
  return classes.flatMap((c, i) => (latinOnly(c) ? [i] : []));
}

/** Whether `text` holds a Cyrillic letter. */
export function hasCyrillic(text: string): boolean {
  return CYRILLIC.test(text);
}

/**
 * `text` (in a model's classes) as the script says: `latin` as read; `cyrillic` with every shared class as its
 * Cyrillic letter; `auto` Cyrillic only when the reading holds a letter of the model's that is Cyrillic.
 */
export function resolveScript(text: string, script: Script = 'auto'): string {
  if (script === 'latin' || (script === 'auto' && !hasCyrillic(text))) return text;
  return Array.from(text, (c) => CLASS_CYRILLIC[c] ?? c.toLowerCase()).join('');
}

/**
 * A caller's charset in the model's classes: each Cyrillic letter as the class it is drawn as (its own, lower
 * case, or the Latin look-alike's), so `'бвгд2456'` restricts the reading to the classes those are read from.
 */
export function charsetClasses(charset: string): string {
  return Array.from(charset, (c) => LOOKALIKE_CLASS[c] ?? (hasCyrillic(c) ? c.toLowerCase() : c)).join('');
}

/** The script a caller's charset implies: `cyrillic` when it has Cyrillic letters and no Latin ones. */
export function charsetScript(charset: string | undefined): Script {
  if (charset === undefined || !hasCyrillic(charset)) return 'auto';
  return /[a-z]/iu.test(charset) ? 'auto' : 'cyrillic';
}
