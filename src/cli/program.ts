import { createRequire } from 'node:module';
import { Command } from 'commander';
import { exitTwoOnMisuse, hideArgumentValues } from './shared/usage-error.js';

/** Adds one command (with its options and action) to the program. */
export type RegisterCommand = (program: Command) => Command;

/** The `keymux` program with the given commands: a thin registry, each command in its own module. */
export function programWith(commands: readonly RegisterCommand[]): Command {
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  const program = new Command('keymux')
    .description('Use many API keys of an LLM provider as if they were one much larger key.')
    .version(version)
    // Set before the commands are registered, so each inherits it.
    .configureOutput({ outputError: (text, write) => write(hideArgumentValues(text)) });
  for (const register of commands) register(program);
  // An unknown command or a bad top-level flag is misuse: exit 2, as every subcommand does.
  return exitTwoOnMisuse(program);
}
