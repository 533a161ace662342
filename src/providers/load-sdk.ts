import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MissingSdkError } from '../core/errors.js';

const require = createRequire(import.meta.url);
const esm = new Map<string, unknown>();
const cjs = new Map<string, unknown>();
const loading = new Map<string, Promise<void>>();
/** Packages whose ESM import has finished, loaded or not. */
const settled = new Set<string>();
/** Packages whose ESM build was tried synchronously, once each. */
const attemptedSync = new Set<string>();

function isMissing(error: unknown, packageName: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : '';
  return (
    (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') && message.includes(`'${packageName}'`)
  );
}

async function importSdk(packageName: string): Promise<void> {
  try {
    const namespace: unknown = await import(packageName);
    esm.set(packageName, namespace);
  } catch (error) {
    if (isMissing(error, packageName)) throw new MissingSdkError(packageName, { cause: error });
    throw error;
  }
}

/**
 * Loads an SDK's ESM build ahead of the first client, so that the clients keymux builds are made of
 * the same module instance as the caller's `import OpenAI from 'openai'` and `instanceof` on the
 * SDK's error classes holds. Rejects with `MissingSdkError` when the package is not installed.
 * One attempt per package: started when a provider gets its first key (or a wrapped client is made);
 * a worker awaits the same before its first call.
 */
export function preloadSdk(packageName: string): Promise<void> {
  let attempt = loading.get(packageName);
  if (attempt === undefined) {
    attempt = importSdk(packageName).finally(() => settled.add(packageName));
    loading.set(packageName, attempt);
  }
  return attempt;
}

/** Whether this SDK's ESM build has loaded: a call then needs no wait for it. */
export function isSdkLoaded(packageName: string): boolean {
  return esm.has(packageName);
}

/** Starts loading an optional SDK's ESM build; an SDK that is not installed is no error until used. */
export function preloadOptionalSdk(packageName: string): void {
  preloadSdk(packageName).catch(() => undefined);
}

/**
 * Undefined once every one of these SDKs' ESM builds has loaded (or failed to), else a promise of it: a
 * worker awaits it before its first call, so even a call made in the multiplexer's first tick builds
 * its client from the caller's module instance.
 */
export function sdksReady(...packageNames: readonly string[]): Promise<void> | undefined {
  if (packageNames.every((name) => settled.has(name))) return undefined;
  return Promise.all(packageNames.map((name) => preloadSdk(name).catch(() => undefined))).then(
    () => undefined,
  );
}

/** The SDK's ESM namespace, once preloaded. */
export function esmSdk<T>(packageName: string): T | undefined {
  return esm.get(packageName) as T | undefined;
}

/**
 * The SDK's ESM build, loaded synchronously where Node can `require()` an ES module (20.19+, 22.12+):
 * the same module instance as the caller's `import OpenAI from 'openai'`, so a client made in the
 * caller's first tick is already `instanceof OpenAI`. Undefined where Node cannot (older Node, a
 * bundler without `import.meta.resolve`, an SDK with top-level await); the CommonJS build stands in.
 */
function requireEsm(packageName: string): unknown {
  if (attemptedSync.has(packageName)) return undefined;
  attemptedSync.add(packageName);
  try {
    const url = import.meta.resolve(packageName);
    if (!url.startsWith('file:')) return undefined;
    const namespace: unknown = require(fileURLToPath(url));
    esm.set(packageName, namespace);
    settled.add(packageName);
    return namespace;
  } catch {
    return undefined;
  }
}

/**
 * An optional peer SDK, synchronously: its ESM namespace if it is loaded or can be (see `requireEsm`),
 * else its CommonJS build (every supported SDK ships one). Throws `MissingSdkError` naming the package
 * to install.
 */
export function requireSdk<T>(packageName: string): T {
  const namespace = esm.get(packageName) ?? requireEsm(packageName) ?? cjs.get(packageName);
  if (namespace !== undefined) return namespace as T;
  try {
    const module: unknown = require(packageName);
    cjs.set(packageName, module);
    return module as T;
  } catch (error) {
    if (isMissing(error, packageName)) throw new MissingSdkError(packageName, { cause: error });
    throw error;
  }
}
