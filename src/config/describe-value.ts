import { ConfigError } from '../core/errors.js';

/**
 * `` `0` (number)``. Long strings are not shown, because a string in the wrong field may well be a key;
 * with `secret` only the type is.
 */
export function describe(value: unknown, secret = false): string {
  if (typeof value === 'string') {
    if (value.trim() === '') return 'an empty string';
    return secret || value.length > 20 ? `a string of ${value.length} characters` : `\`${value}\` (string)`;
  }
  if (value === null || value === undefined) return `\`${value}\``;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' || typeof value === 'function') return `a value of type ${typeof value}`;
  return secret ? `a ${typeof value}` : `\`${String(value)}\` (${typeof value})`;
}

/**
 * Like `describe`, for a field where a key may land by mistake (a strategy, a key name): a string is
 * shown only when it reads as a word, since keys are long runs with digits.
 */
export function describeWord(value: unknown): string {
  if (typeof value === 'string' && !/^[A-Za-z][A-Za-z _-]{0,23}$/.test(value.trim())) {
    return describe(value, true);
  }
  return describe(value);
}

/** Throws the ConfigError every validator throws: ``Expected `field` to be …, got ….`` */
export function fail(path: string, expected: string, value: unknown, secret = false): never {
  const field = path.slice(path.lastIndexOf('.') + 1) || path;
  throw new ConfigError(path, `Expected \`${field}\` to be ${expected}, got ${describe(value, secret)}`);
}

/** As `fail`, with the value described by `describeWord`. */
export function failWord(path: string, expected: string, value: unknown): never {
  const field = path.slice(path.lastIndexOf('.') + 1) || path;
  throw new ConfigError(path, `Expected \`${field}\` to be ${expected}, got ${describeWord(value)}`);
}
