import type { Command } from 'commander';
import { keysCheckTable, keysListJson, keysListTable } from './keys/keys-tables.js';
import { checkProvider, loadKeys } from './keys/load-keys.js';
import { exitTwoOnMisuse, runAction } from './shared/usage-error.js';

interface KeysFlags {
  readonly provider?: string;
  readonly json: boolean;
  readonly config?: string;
}

/** `keymux keys list|check`: the keys of the environment or `--config`, by name and masked label only. */
export function registerKeysCommand(program: Command): Command {
  const keys = program
    .command('keys')
    .description('List or check the keys of the environment or of --config (values are never printed).');
  const common = (command: Command): Command =>
    exitTwoOnMisuse(
      command
        .option('--provider <name>', 'only the keys of this provider')
        .option('--json', 'print JSON instead of a table', false)
        .option(
          '--config <path>',
          'keymux config file (JSON, or YAML as .yaml/.yml) instead of the environment',
        ),
    );
  common(keys.command('list').description('Names, masked labels, providers and configured limits.')).action(
    async (flags: KeysFlags) => {
      await runAction('keys list', async () => {
        const mux = await loadKeys(flags.config, process.env);
        try {
          const stats = mux.getUsageStats();
          checkProvider(stats, flags.provider);
          process.stdout.write(
            flags.json
              ? `${JSON.stringify(keysListJson(stats, flags.provider), null, 2)}\n`
              : `${keysListTable(stats, flags.provider)}\n`,
          );
          return 0;
        } finally {
          await mux.close();
        }
      });
    },
  );
  common(
    keys
      .command('check')
      .description(
        "Check every key with its provider's cheapest authenticated call (the models list); exits 1 when any key fails.",
      ),
  ).action(async (flags: KeysFlags) => {
    await runAction('keys check', async () => {
      const mux = await loadKeys(flags.config, process.env);
      try {
        checkProvider(mux.getUsageStats(), flags.provider);
        const results = await mux.checkKeys(flags.provider);
        process.stdout.write(
          flags.json ? `${JSON.stringify(results, null, 2)}\n` : `${keysCheckTable(results)}\n`,
        );
        return results.some((r) => !r.ok && r.skipped === undefined) ? 1 : 0;
      } finally {
        await mux.close();
      }
    });
  });
  return exitTwoOnMisuse(keys);
}
