import { ConfigError } from '../core/errors.js';

/** A key's name goes into HTTP headers (`x-keymux-key`), metric labels and log lines. */
export const MAX_KEY_NAME_LENGTH = 100;

function describeChar(code: number): string {
  if (code === 0x0a || code === 0x0d) return 'a line break';
  if (code < 0x20 || code === 0x7f)
    return `a control character (U+${code.toString(16).padStart(4, '0').toUpperCase()})`;
  return `a non-ASCII character (U+${code.toString(16).padStart(4, '0').toUpperCase()})`;
}

/**
 * Checks a key's name: 1 to 100 printable ASCII characters, no space at either end. A name with a CR/LF
 * or a non-Latin-1 character would be accepted and then fail every answer on that key (an invalid
 * header), after the provider had already answered and billed. The error never repeats the name.
 */
export function validateKeyName(value: unknown, path: string): string {
  const field = path.slice(path.lastIndexOf('.') + 1) || path;
  const expected = `Expected \`${field}\` to be 1 to ${MAX_KEY_NAME_LENGTH} printable ASCII characters`;
  if (typeof value !== 'string') throw new ConfigError(path, `${expected}, got ${typeof value}`);
  if (value.length === 0 || value.length > MAX_KEY_NAME_LENGTH)
    throw new ConfigError(path, `${expected}, got ${value.length} characters`);
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code > 0x7e)
      throw new ConfigError(path, `${expected}, got ${describeChar(code)} at position ${i + 1}`);
  }
  if (value.trim() !== value) throw new ConfigError(path, `${expected}, got a space at one end`);
  return value;
}
