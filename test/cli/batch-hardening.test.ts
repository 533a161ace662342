import { statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatch } from '../../src/cli/batch/run-batch.js';
import { strategyArgument } from '../../src/cli/shared/usage-error.js';
import { baseUrlFor, type Emulator, startEmulator } from '../../src/emulator/index.js';
import { readOutput, tempDir, writeBatchInput } from './support/batch-files.js';
import { cleanEnv, runCli } from './support/run-cli.js';

const KEYS = ['sk-batch-hard-key-0001', 'sk-batch-hard-key-0002'];
// A key pasted where a flag's value goes, and the canary a provider echoes all but the end of.
const PASTED = 'sk-proj-PASTEDxQWERTYUIOPasdfghjkl0987';
const CANARY = 'sk-canaryQWERTYUIOPASDFGH1234';
const PARTIAL_ECHO = 'sk-canaryQWERTYUIOPASDFGH****';

/** Every run of 8 characters of `secret` found in `text`. */
function runsOf(secret: string, text: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++)
    if (text.includes(secret.slice(i, i + 8))) found.push(secret.slice(i, i + 8));
  return found;
}

/** OpenAI's 401, echoing the key but its last 4 characters, as some providers do. */
function echoingServer(): Promise<Server> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: {
            message: `Incorrect API key provided: ${PARTIAL_ECHO}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_api_key',
          },
        }),
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** `keymux batch` in this process (the flags as parsed), with what it prints captured. */
async function batch(
  input: string,
  output: string,
  env: NodeJS.ProcessEnv,
  strategy?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((chunk: string) => {
    stdout += chunk;
    return true;
  }) as typeof out;
  process.stderr.write = ((chunk: string) => {
    stderr += chunk;
    return true;
  }) as typeof err;
  try {
    const code = await runBatch(
      {
        input,
        output,
        concurrency: undefined,
        strategy: strategy === undefined ? undefined : strategyArgument(strategy),
        maxRequests: undefined,
        dryRun: false,
        config: undefined,
        progress: false,
      },
      env,
      new AbortController().signal,
    );
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe('keymux batch: exit codes, file mode, no echo of keys', () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;
  const dir = tempDir();

  beforeAll(async () => {
    emulator = await startEmulator({ keys: KEYS.map((key) => ({ key })), seed: 5 });
    env = cleanEnv({
      OPENAI_API_KEYS: KEYS.join(','),
      OPENAI_BASE_URL: baseUrlFor('openai', emulator.url),
      KEYMUX_INITIAL_RETRY_DELAY: '1',
      KEYMUX_MAX_RETRIES: '2',
      KEYMUX_COOLDOWN_MS: '10',
    });
  });
  afterAll(() => emulator.close());

  it('a key given to --strategy or --concurrency by mistake is never printed', async () => {
    const input = join(dir, 'in.jsonl');
    writeBatchInput(input, 1);
    const results = await Promise.all([
      runCli(['batch', input, '-o', join(dir, 'x.jsonl'), '--strategy', PASTED], env),
      runCli(['batch', input, '-o', join(dir, 'x.jsonl'), '--concurrency', PASTED], env),
    ]);
    for (const result of results) {
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('is invalid');
      expect(runsOf(PASTED, result.stderr + result.stdout)).toEqual([]);
    }
  });

  it('accepts any spelling of a strategy; exits 0 when every line is answered; writes the file 0600', async () => {
    const input = join(dir, 'ok.jsonl');
    const output = join(dir, 'ok.out.jsonl');
    writeBatchInput(input, 5);
    emulator.setFaults([]);
    const result = await batch(input, output, env, 'Least_Loaded');
    expect(result.code, result.stderr).toBe(0);
    expect(readOutput(output)).toHaveLength(5);
    expect(statSync(output).mode & 0o777).toBe(0o600);
  });

  it('exits 3 when lines failed for good', async () => {
    const input = join(dir, 'fail.jsonl');
    const output = join(dir, 'fail.out.jsonl');
    writeBatchInput(input, 4);
    emulator.setFaults([{ kind: 'server-error', rate: 1 }]);
    try {
      const result = await batch(input, output, env);
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toContain('4 failed for good');
    } finally {
      emulator.setFaults([]);
    }
  }, 20_000);

  it('a provider’s partial echo of the key never reaches the output file, stdout or stderr', async () => {
    const server = await echoingServer();
    try {
      const { port } = server.address() as AddressInfo;
      const input = join(dir, 'echo.jsonl');
      const output = join(dir, 'echo.out.jsonl');
      writeBatchInput(input, 2);
      const result = await batch(
        input,
        output,
        cleanEnv({ OPENAI_API_KEY: CANARY, OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` }),
      );
      expect(result.code).toBe(3);
      const file = readOutput(output);
      expect(file).toHaveLength(2);
      const everything = JSON.stringify(file) + result.stdout + result.stderr;
      expect(everything).toContain('sk-c…1234');
      expect(runsOf(CANARY, everything)).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 20_000);
});
