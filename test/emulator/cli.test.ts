import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProgram } from '../../src/cli/main.js';
import { emulatorConfigFromFlags } from '../../src/emulator/config/config-from-flags.js';
import { EmulatorConfigError } from '../../src/emulator/index.js';
import { Multiplexer } from '../../src/index.js';
import { runCli } from '../cli/support/run-cli.js';
import { CLI_BUNDLE } from '../support/build-cli.js';

describe('keymux emulate flags', () => {
  it('merges a config file with flags on top', () => {
    const file = JSON.stringify({
      keys: [{ key: 'sk-file', name: 'file', pool: 'org' }],
      pools: { org: { rpm: 5 } },
      faults: [{ kind: 'reset', rate: 0.1 }],
    });
    const config = emulatorConfigFromFlags(
      {
        config: 'emu.json',
        key: ['cli=sk-cli', 'sk-bare'],
        rpm: 60,
        latency: '10-20',
        outputTokens: '3',
        fault: ['overloaded:0.5', 'hang'],
        seed: 9,
      },
      () => file,
    );
    expect(config).toEqual({
      keys: [
        { key: 'sk-file', name: 'file', pool: 'org' },
        { key: 'sk-cli', name: 'cli' },
        { key: 'sk-bare' },
      ],
      pools: { org: { rpm: 5 } },
      defaultLimits: { rpm: 60 },
      latency: { kind: 'uniform', minMs: 10, maxMs: 20 },
      outputTokens: { min: 3, max: 3 },
      seed: 9,
      faults: [{ kind: 'reset', rate: 0.1 }, { kind: 'overloaded', rate: 0.5 }, { kind: 'hang' }],
    });
    expect(emulatorConfigFromFlags({ keys: 1, ttft: 200, perToken: 5 }).latency).toEqual({
      kind: 'per-token',
      firstTokenMs: 200,
      perTokenMs: 5,
    });
  });

  it('turns --strict, --script, --outage-ms and --overload into options', () => {
    const config = emulatorConfigFromFlags({
      keys: 2,
      rpm: 600,
      strict: true,
      burst: 2,
      script: ['key-1=503,503,429,200'],
      outageMs: 200,
      outageAtMs: 5000,
      overload: 4,
      overloadErrorRate: 0.25,
    });
    expect(config.defaultLimits).toEqual({ rpm: 600, strict: true, burst: 2 });
    expect(config.scripts).toEqual({ 'key-1': [503, 503, 429, 200] });
    expect(config.outages).toEqual([{ atMs: 5000, durationMs: 200 }]);
    expect(config.overload).toEqual({ aboveConcurrent: 4, errorRate: 0.25 });
    expect(() => emulatorConfigFromFlags({ keys: 1, script: ['key-1=abc'] })).toThrow(
      /^--script "key-1=abc"/,
    );
    expect(() => emulatorConfigFromFlags({ keys: 1, outageAtMs: 5 })).toThrow(
      '--outage-at-ms needs --outage-ms',
    );
  });

  it('names the bad field in one line and never shows a key', () => {
    const bad = (flags: Parameters<typeof emulatorConfigFromFlags>[0], file = '{}') => {
      try {
        emulatorConfigFromFlags(flags, () => file);
        return 'no error';
      } catch (error) {
        expect(error).toBeInstanceOf(EmulatorConfigError);
        return (error as Error).message;
      }
    };
    expect(bad({})).toMatch(/^no keys/);
    expect(bad({ config: 'f' }, '{"keys":[{"key":"sk-secret-1","pool":""}]}')).toBe(
      'keys[0].pool: Too small: expected string to have >=1 characters',
    );
    expect(bad({ config: 'f' }, '{"keys": [sk-secret-2')).toBe('--config f is not valid JSON');
    expect(bad({ key: ['sk secret 3'] })).toBe('--key: expected [name=]secret');
    expect(bad({ keys: 1, fault: ['explode'] })).toMatch(/^faults\[0\]\.kind: /);
    for (const message of [bad({ config: 'f' }, '{"keys":[{"key":"sk-secret-4","x":1}]}')]) {
      expect(message).not.toContain('sk-secret');
    }
  });
});

describe('keymux emulate command', () => {
  it('documents every flag in --help', async () => {
    const emulate = (await createProgram()).commands.find((c) => c.name() === 'emulate');
    const help = emulate?.helpInformation() ?? '';
    const flags = emulate?.options.map((o) => o.long ?? '') ?? [];
    expect(flags).toHaveLength(26);
    for (const flag of flags) expect(help).toContain(flag);
  });

  it('exits 2 with one line on a bad flag or a bad limits file', async () => {
    const file = join(tmpdir(), `keymux-emulate-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ keys: [{ key: 'sk-x' }], pools: { 'key-0': { rpm: -1 } } }));
    const [badFlag, badFile] = await Promise.all([
      runCli(['emulate', '--keys', '1', '--rpm', 'fast']),
      runCli(['emulate', '--config', file]),
    ]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr.trim().split('\n')).toHaveLength(1);
    expect(badFlag.stderr).toContain("'--rpm <n>' argument is invalid. Expected a number above 0");
    expect(badFile).toMatchObject({
      code: 2,
      stderr: 'keymux emulate: pools.key-0.rpm: Too small: expected number to be >0\n',
    });
  });
});

describe('keymux emulate with no flags', () => {
  it('starts 3 keys and prints export lines that Multiplexer.fromEnv() can use as they are', async () => {
    const child = spawn(process.execPath, [CLI_BUNDLE, 'emulate', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk;
          if (out.includes('Ctrl-C')) resolve(out);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect(banner).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ \(3 keys: key-1, key-2, key-3\)/);
      const exports = banner.split('\n').filter((line) => line.startsWith('export '));
      expect(exports.map((line) => line.split(/[ =]/)[1])).toEqual([
        'OPENAI_API_KEYS',
        'ANTHROPIC_API_KEYS',
        'GEMINI_API_KEYS',
        'GROQ_API_KEYS',
      ]);
      const env = Object.fromEntries(
        exports.flatMap((line) =>
          line
            .slice('export '.length)
            .split(' ')
            .map((pair) => pair.split('=') as [string, string]),
        ),
      );
      const mux = Multiplexer.fromEnv(env);
      const reply = await mux
        .getOpenAIClient()
        .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      expect(reply.choices[0]?.message.content).toBeTruthy();
      expect(mux.getUsageStats().providers.openai?.totalKeys).toBe(3);
      await mux.close();
    } finally {
      child.kill('SIGTERM');
    }
  });
});
