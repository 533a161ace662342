import { type Command, InvalidArgumentError } from 'commander';
import { STRATEGIES, type Strategy } from '../../config/options.js';
import { parseStrategy } from '../../config/strategy.js';

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

/**
 * A flag's value may be a key pasted in the wrong place: errors never repeat it. Commander quotes the
 * value in its own "argument '…' is invalid" line; `hideArgumentValues` takes that out.
 */
export function hideArgumentValues(text: string): string {
  return text.replace(/ argument '.*?' is invalid\./gs, ' argument is invalid.');
}

/** A value shown in an error only when it cannot be a key: a short word. */
function shown(value: string): string {
  return /^[A-Za-z][A-Za-z _-]{0,23}$/.test(value.trim())
    ? ` got ${JSON.stringify(value)}`
    : ` got ${value.length} characters`;
}

/** Commander argument parser for a strategy, in any spelling `parseStrategy` takes (`least_loaded`). */
export function strategyArgument(value: string): Strategy {
  try {
    return parseStrategy(value, 'strategy');
  } catch {
    throw new InvalidArgumentError(
      `Expected one of ${STRATEGIES.join(', ')} (any case, _ or -),${shown(value)}.`,
    );
  }
}

/** Commander argument parser for a whole number within bounds. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `from ${min} up` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`Expected a whole number ${range},${shown(value)}.`);
    }
    return n;
  };
}

/** Commander argument parser for a positive number (fractions allowed). */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError(`Expected a number above 0,${shown(value)}.`);
  }
  return n;
}

/** Commander argument parser for one of a fixed set of words. */
export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if ((choices as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`Expected one of ${choices.join(', ')},${shown(value)}.`);
  };
}
