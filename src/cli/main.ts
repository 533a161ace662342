#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerBatchCommand } from './batch.js';
import { registerBenchProcessCommand } from './bench/bench-process.js';
import { registerBenchCommand } from './bench.js';
import { registerEmulateCommand } from './emulate.js';
import { registerKeysCommand } from './keys.js';
import { registerServeCommand } from './serve.js';
import { exitTwoOnMisuse, hideArgumentValues } from './shared/usage-error.js';

/** The `keymux` program: a thin registry of commands, each in its own module. */
export function createProgram(): Command {
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  const program = new Command('keymux')
    .description('Use many API keys of an LLM provider as if they were one much larger key.')
    .version(version)
    // Set before the commands are registered, so each inherits it.
    .configureOutput({ outputError: (text, write) => write(hideArgumentValues(text)) });
  registerEmulateCommand(program);
  registerBenchCommand(program);
  registerBenchProcessCommand(program);
  registerBatchCommand(program);
  registerKeysCommand(program);
  registerServeCommand(program);
  // An unknown command or a bad top-level flag is misuse: exit 2, as every subcommand does.
  return exitTwoOnMisuse(program);
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

if (isEntryPoint()) await createProgram().parseAsync(process.argv);
