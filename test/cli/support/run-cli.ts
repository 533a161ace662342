import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLI_BUNDLE } from '../../support/build-cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment without any real provider key, so a test never reaches a real API. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/API_KEY|_BASE_URL|KEYMUX_/.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * Starts `keymux …` as a user would run it: from the test run's build of the sources (see
 * test/support/build-cli.ts), or through tsx when the file runs without that setup.
 */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  const entry = existsSync(CLI_BUNDLE) ? [CLI_BUNDLE] : ['--import', 'tsx', 'src/cli/main.ts'];
  return spawn(process.execPath, [...entry, ...args], {
    cwd: ROOT,
    env,
    stdio: 'pipe',
  });
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv({})): Promise<CliResult> {
  return collect(spawnCli(args, env));
}
