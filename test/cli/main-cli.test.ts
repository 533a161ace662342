import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { PROCESS_COMMAND } from '../../src/cli/bench/process-messages.js';
import { createProgram } from '../../src/cli/main.js';
import { cleanEnv, runCli } from './support/run-cli.js';

/** A command's --help text, in-process (no spawn). */
async function help(...path: string[]): Promise<string> {
  let command: Command | undefined = await createProgram();
  for (const name of path) command = command?.commands.find((c) => c.name() === name);
  if (command === undefined) throw new Error(`no command ${path.join(' ')}`);
  return command.helpInformation();
}

describe('the keymux command', () => {
  it('loads only the command it runs, and every command when none is named', async () => {
    const names = (program: Command) => program.commands.map((c) => c.name()).sort();
    const all = names(await createProgram(['node', 'keymux']));
    expect(all).toEqual(['batch', 'bench', PROCESS_COMMAND, 'emulate', 'keys', 'serve'].sort());
    for (const name of all) expect(names(await createProgram(['node', 'keymux', name]))).toEqual([name]);
    expect(names(await createProgram(['node', 'keymux', 'frobnicate']))).toEqual(all);
  });

  it('exits 2 with one line on an unknown command, as on any other misuse', async () => {
    const result = await runCli(['frobnicate'], cleanEnv({}));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual(["error: unknown command 'frobnicate'"]);
  });

  it('prints list and range defaults as they are typed on the command line', async () => {
    const flat = (await help('bench')).replace(/\s+/g, ' ');
    expect(flat).toContain('(default: 100-300)');
    expect(flat).toContain('(default: auto)');
    expect(flat).toContain('(default: least-loaded)');
    expect(flat).not.toMatch(/default: [[{"]/);
  });

  it('says nothing of "seed" shapes in its help', async () => {
    for (const path of [['serve'], ['batch'], ['keys', 'list'], ['keys', 'check']]) {
      expect(await help(...path)).not.toMatch(/seed 00\d/);
    }
  });
});
