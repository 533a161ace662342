/** One step of a recorded path: a property read, or a sync factory call (replayed on each key's client). */
export type Step = { readonly get: string } | { readonly call: readonly unknown[] };

type AnyFunction = (...args: unknown[]) => unknown;

/** The same path walked on a key's own SDK client: the function to apply and its `this`. */
export function resolvePath(client: object, steps: readonly Step[]): { fn: AnyFunction; owner: object } {
  let owner: object = client;
  let value: unknown = client;
  for (const step of steps) {
    if ('get' in step) {
      owner = value as object;
      value = Reflect.get(owner, step.get);
    } else {
      value = (value as AnyFunction).apply(owner, [...step.call]);
    }
  }
  if (typeof value !== 'function') throw new TypeError(`${describe(steps)} is not a function on this client`);
  return { fn: value as AnyFunction, owner };
}

function describe(steps: readonly Step[]): string {
  return steps.map((s) => ('get' in s ? s.get : '()')).join('.');
}
