import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from './support/run-cli.js';

describe('the keymux command', () => {
  it('exits 2 with one line on an unknown command, as on any other misuse', async () => {
    const result = await runCli(['frobnicate'], cleanEnv({}));
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual(["error: unknown command 'frobnicate'"]);
  });

  it('prints list and range defaults as they are typed on the command line', async () => {
    const { stdout } = await runCli(['bench', '--help'], cleanEnv({}));
    const flat = stdout.replace(/\s+/g, ' ');
    expect(flat).toContain('(default: 100-300)');
    expect(flat).toContain('(default: auto)');
    expect(flat).toContain('(default: least-loaded)');
    expect(flat).not.toMatch(/default: [[{"]/);
  });

  it('says nothing of "seed" shapes in its help', async () => {
    const helps = await Promise.all(
      [['serve'], ['batch'], ['keys', 'list'], ['keys', 'check']].map((cmd) =>
        runCli([...cmd, '--help'], cleanEnv({})),
      ),
    );
    for (const help of helps) expect(help.stdout).not.toMatch(/seed 00\d/);
  });
});
