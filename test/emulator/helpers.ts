import type { Emulator, EmulatorOptions } from '../../src/emulator/index.js';
import { startEmulator } from '../../src/emulator/index.js';

/** A clock the test moves by hand. */
export interface TestClock {
  readonly now: () => number;
  advance(ms: number): void;
}

export function testClock(start = 1_700_000_000_000): TestClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

/** Starts an emulator and registers its close with the given hook collector. */
export async function emulatorFor(
  options: EmulatorOptions,
  closers: Array<() => Promise<void>>,
): Promise<Emulator> {
  const emulator = await startEmulator(options);
  closers.push(() => emulator.close());
  return emulator;
}

/** Collects an async iterable, returning what came before an error together with the error. */
export async function drain<T>(stream: AsyncIterable<T>): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of stream) items.push(item);
    return { items, error: undefined };
  } catch (error) {
    return { items, error };
  }
}

export const KEY_A = 'sk-emu-test-aaaaaaaaaaaaaaaa';
export const KEY_B = 'sk-emu-test-bbbbbbbbbbbbbbbb';
