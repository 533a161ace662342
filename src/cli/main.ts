#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { programWith, type RegisterCommand } from './program.js';

/**
 * Each command's module, loaded only when needed: `keymux serve` never loads the emulator or the bench,
 * `keymux keys list` never loads the gateway. Help, `--version` and unknown commands load them all.
 */
const COMMANDS: Readonly<Record<string, () => Promise<RegisterCommand>>> = {
  emulate: async () => (await import('./emulate.js')).registerEmulateCommand,
  bench: async () => (await import('./bench.js')).registerBenchCommand,
  'bench-process': async () => (await import('./bench/bench-process.js')).registerBenchProcessCommand,
  batch: async () => (await import('./batch.js')).registerBatchCommand,
  keys: async () => (await import('./keys.js')).registerKeysCommand,
  serve: async () => (await import('./serve.js')).registerServeCommand,
};

/** The `keymux` program for these arguments (`process.argv`): every command, or only the one named. */
export async function createProgram(argv: readonly string[] = []): Promise<Command> {
  const named = argv[2];
  const loaders =
    named !== undefined && Object.hasOwn(COMMANDS, named) ? [COMMANDS[named]!] : Object.values(COMMANDS);
  return programWith(await Promise.all(loaders.map((load) => load())));
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) await (await createProgram(process.argv)).parseAsync(process.argv);
