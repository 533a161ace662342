import { esmSdk, requireSdk } from './load-sdk.js';

/**
 * A key's SDK client built from the SDK's ESM build once that is loaded (see load-sdk.ts). A client
 * built earlier, from the CommonJS build, is a stand-in that moves to an ESM-built twin as soon as
 * the preload lands: the worker keeps a key's client for good, and errors of a CommonJS client are
 * not `instanceof` the classes the caller imported. Only calls started before that point use CommonJS.
 */
export function preferEsm<Sdk, Client extends object>(
  packageName: string,
  build: (sdk: Sdk) => Client,
): Client {
  const loaded = esmSdk<Sdk>(packageName);
  if (loaded !== undefined) return build(loaded);
  const early = build(requireSdk<Sdk>(packageName));
  let current: Client | undefined;
  const now = (): Client => {
    if (current) return current;
    const sdk = esmSdk<Sdk>(packageName);
    if (sdk === undefined) return early;
    current = build(sdk);
    return current;
  };
  return new Proxy(early, {
    get(_target, prop) {
      const client = now();
      const value: unknown = Reflect.get(client, prop, client);
      // SDK methods read private fields: they must run on the client itself, not on the Proxy.
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(client) : value;
    },
    has: (_target, prop) => Reflect.has(now(), prop),
    getPrototypeOf: () => Object.getPrototypeOf(now()) as object | null,
    set: (_target, prop, value) => Reflect.set(now(), prop, value),
  });
}
