/**
 * In-page functions are sent as source text. Bundlers and loaders that keep names (esbuild `keepNames`,
 * used by tsx) insert `__name(fn, "name")` calls that do not exist in the page; this wraps each function
 * once in a shell that defines a harmless `__name`, so our code runs however the user's build treats it.
 */
const wrapped = new WeakMap<Function, Function>(); // eslint-disable-line @typescript-eslint/no-unsafe-function-type

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function pageFunction<F extends Function>(fn: F): F {
  let w = wrapped.get(fn);
  if (!w) {
    const src = fn.toString();
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    w = new Function('arg', `var __name = function (f) { return f; }; return (${src})(arg);`);
    wrapped.set(fn, w);
  }
  return w as F;
}
