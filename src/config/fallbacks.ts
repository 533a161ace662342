import { fail } from './describe-value.js';
import type { FallbackMap } from './options.js';

/** `provider/model` or a bare model: no spaces, no empty parts. */
const TARGET = /^[^\s/]+(?:\/[^\s/]+)*$/;

/** Checks one list of fallback targets; `path` names it in the error. */
export function checkFallbackList(value: unknown, path: string): readonly string[] {
  if (!Array.isArray(value)) fail(path, 'an array of model names (`model` or `provider/model`)', value);
  return value.map((entry: unknown, i) => {
    if (typeof entry !== 'string' || !TARGET.test(entry)) {
      fail(`${path}[${i}]`, 'a model name (`model` or `provider/model`, no spaces)', entry);
    }
    return entry;
  });
}

/**
 * Checks a `fallbacks`-shaped option (`{ [model]: string[] }`) and returns a frozen copy. A model never
 * falls back to itself: that entry is refused rather than retried forever.
 */
export function checkFallbackMap(value: unknown, path: string): FallbackMap {
  if (value === undefined) return Object.freeze({});
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(path, 'an object of model → array of models', value);
  }
  const out: Record<string, readonly string[]> = {};
  for (const [model, list] of Object.entries(value)) {
    const at = `${path}["${model}"]`;
    if (!TARGET.test(model)) fail(path, 'model names as keys (no spaces)', model);
    const targets = checkFallbackList(list, at);
    const self = targets.indexOf(model);
    if (self >= 0) fail(`${at}[${self}]`, `another model than \`${model}\` itself`, model);
    out[model] = Object.freeze(targets);
  }
  return Object.freeze(out);
}
