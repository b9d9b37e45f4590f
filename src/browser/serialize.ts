/**
 * In-page functions are sent as source text. Bundlers and loaders that keep names (esbuild `keepNames`,
 * used by tsx) insert `__name(fn, "name")` calls that do not exist in the page; this wraps each function
 * once in a shell that defines a harmless `__name`, so our code runs however the user's build treats it.
 * The shell also hands each function the shadow-DOM-aware helpers of in-page.ts as its second argument.
 */
import { inPageDom, type PageFunction } from './in-page.js';

const wrapped = new WeakMap<Function, Function>(); // eslint-disable-line @typescript-eslint/no-unsafe-function-type

export function pageFunction<A, R>(fn: PageFunction<A, R>): (arg: A) => R | Promise<R> {
  let w = wrapped.get(fn);
  if (!w) {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    w = new Function('arg', `var __name = function (f) { return f; }; return (${fn.toString()})(arg, (${inPageDom.toString()})());`);
    wrapped.set(fn, w);
  }
  return w as (arg: A) => R | Promise<R>;
}
