import { type Command, InvalidArgumentError } from 'commander';

/** A problem with what the user asked for, found before anything was sent: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly exitCode = 2;
}

/**
 * Makes commander's own errors (unknown flag, bad value, missing argument) exit with 2, the code the
 * shell convention gives to misuse, instead of commander's 1; `--help` still exits 0.
 */
export function exitTwoOnMisuse(command: Command): Command {
  return command.exitOverride((error) => {
    process.exit(error.exitCode === 0 ? 0 : 2);
  });
}

/** Runs a command's action; a `UsageError` becomes one line on stderr and exit code 2, anything else 1. */
export async function runAction(commandName: string, action: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (error) {
    const usage = error instanceof UsageError;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`keymux ${commandName}: ${message}\n`);
    process.exitCode = usage ? 2 : 1;
  }
}

/** Commander argument parser for a whole number within bounds. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `from ${min} up` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`Expected a whole number ${range}, got ${JSON.stringify(value)}.`);
    }
    return n;
  };
}

/** Commander argument parser for a positive number (fractions allowed). */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError(`Expected a number above 0, got ${JSON.stringify(value)}.`);
  }
  return n;
}

/** Commander argument parser for one of a fixed set of words. */
export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if ((choices as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`Expected one of ${choices.join(', ')}, got ${JSON.stringify(value)}.`);
  };
}
