import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  baseUrlFor,
  type EmulateFlags,
  type Emulator,
  EmulatorConfigError,
  emulatorConfigFromFlags,
  startEmulator,
} from '../emulator/index.js';
import { exitTwoOnMisuse, positiveNumber, runAction, UsageError, wholeNumber } from './shared/usage-error.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function fraction(value: string): number {
  const rate = Number(value);
  if (!(rate >= 0 && rate <= 1))
    throw new InvalidArgumentError(`Expected a fraction from 0 to 1, got ${JSON.stringify(value)}.`);
  return rate;
}

/** The keys a bare `keymux emulate` accepts: enough to see keymux spread work, nothing to configure. */
export const DEFAULT_EMULATOR_KEYS = 3;

const ENV_PREFIXES = [
  ['OPENAI', 'openai'],
  ['ANTHROPIC', 'anthropic'],
  ['GEMINI', 'gemini'],
  ['GROQ', 'groq'],
] as const;

/** A value as a POSIX shell reads it back unchanged: bare when safe, else single-quoted. */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * What `keymux emulate` prints once listening: ready-to-paste `export` lines for every provider (the
 * variables `Multiplexer.fromEnv()` and `keymux batch` read), then where to point each SDK by hand.
 */
export function describeEmulator(
  emulator: Emulator,
  keys: readonly { readonly name: string; readonly key: string }[],
): string {
  const values = keys.map((k) => k.key).join(',');
  const exports = ENV_PREFIXES.map(
    ([prefix, sdk]) =>
      `export ${prefix}_API_KEYS=${shellWord(values)} ${prefix}_BASE_URL=${shellWord(baseUrlFor(sdk, emulator.url))}`,
  );
  const rows = [
    ['openai', `new OpenAI({ baseURL: '${baseUrlFor('openai', emulator.url)}' })`],
    ['groq', `new Groq({ baseURL: '${baseUrlFor('groq', emulator.url)}' })`],
    ['anthropic', `new Anthropic({ baseURL: '${baseUrlFor('anthropic', emulator.url)}' })`],
    ['gemini', `getGenerativeModel(params, { baseUrl: '${baseUrlFor('gemini', emulator.url)}' })`],
    [
      'google-genai',
      `new GoogleGenAI({ httpOptions: { baseUrl: '${baseUrlFor('google-genai', emulator.url)}' } })`,
    ],
  ];
  return [
    `keymux emulator listening on ${emulator.url} (${keys.length} keys: ${keys.map((k) => k.name).join(', ')})`,
    '',
    'Paste into the shell that runs your program (Multiplexer.fromEnv() and keymux batch read these):',
    '',
    ...exports,
    '',
    'Or point an SDK at it yourself:',
    ...rows.map(([name, how]) => `  ${name?.padEnd(13)}${how}`),
    '',
    'Ctrl-C prints the ledger summary and stops.',
  ].join('\n');
}

/** The ledger in a few lines: requests per key and status, and per pool the busiest minute and peak concurrency. */
export function summarizeLedger(emulator: Emulator, pools: readonly string[]): string {
  const { ledger } = emulator;
  const lines = [`${ledger.size} requests; by status ${JSON.stringify(ledger.countByStatus())}`];
  const faults = ledger.countByFault();
  if (Object.keys(faults).length > 0) lines.push(`  faults ${JSON.stringify(faults)}`);
  const outages = emulator.outages();
  if (outages.length > 0)
    lines.push(
      `  ${outages.length} outage(s), ${outages.reduce((n, o) => n + o.cutRequests, 0)} requests cut`,
    );
  for (const [key, count] of Object.entries(ledger.countByKey())) {
    lines.push(`  key ${key}: ${count} requests, ${JSON.stringify(ledger.countByStatus({ key }))}`);
  }
  for (const pool of pools) {
    const rpm = ledger.maxPerSlidingWindow(pool, 60_000);
    const tpm = ledger.maxPerSlidingWindow(pool, 60_000, 'tokens');
    lines.push(
      `  pool ${pool}: busiest minute ${rpm} requests / ${tpm} tokens; peak concurrency ${ledger.peakConcurrency(pool)}`,
    );
  }
  return lines.join('\n');
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** Adds `keymux emulate` to the program. */
export function registerEmulateCommand(program: Command): Command {
  const command = program
    .command('emulate')
    .description(
      'Run the provider emulator: OpenAI, Groq, Anthropic and Gemini wire formats with rate limits, latency and faults.',
    )
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', wholeNumber(0, 65535), 8787)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option(
      '-c, --config <file>',
      'JSON file with keys, pools, defaultLimits, latency, outputTokens, seed, faults (flags apply on top)',
    )
    .option('-k, --key <[name=]secret>', 'a key the emulator accepts, in its own pool (repeatable)', collect)
    .option(
      '--keys <count>',
      `also accept generated keys sk-emu-1 … sk-emu-<count>, named key-1 … (default ${DEFAULT_EMULATOR_KEYS} when no --key, --keys or --config is given)`,
      wholeNumber(1, 10_000),
    )
    .option(
      '--rpm <n>',
      "default requests per minute of a pool (a --config pool's own limits win)",
      positiveNumber,
    )
    .option('--tpm <n>', 'default tokens per minute of a pool', positiveNumber)
    .option('--rpd <n>', 'default requests per day of a pool', positiveNumber)
    .option('--tpd <n>', 'default tokens per day of a pool', positiveNumber)
    .option('--concurrency <n>', 'requests in flight per pool before 429', wholeNumber(1))
    .option(
      '--burst <n>',
      'requests a pool takes at once (request bucket size; default: the rpm)',
      wholeNumber(1),
    )
    .option('--token-burst <n>', 'token bucket size (default: the tpm)', wholeNumber(1))
    .option(
      '--strict',
      'limits as providers enforce them: GCRA buckets of --burst requests (default 2), remaining reaches 0, reset = time to a full bucket',
    )
    .option('--latency <ms|min-max>', 'fixed latency, or a uniform range in ms')
    .option('--ttft <ms>', 'time to first token (per-token latency)', wholeNumber(0))
    .option('--per-token <ms>', 'time per output token (per-token latency)', wholeNumber(0))
    .option('--output-tokens <n|min-max>', "output length in tokens (capped by the request's max tokens)")
    .option('--seed <n>', 'seed for latency, output and fault draws', wholeNumber(0))
    .option(
      '--fault <kind[:rate]>',
      'inject a fault at a rate (repeatable); kinds: server-error, bad-gateway, unavailable, overloaded, rate-limit, quota, reset, cut, stall, hang, malformed-json, html, unauthorized',
      collect,
    )
    .option(
      '--script <name=statuses>',
      "a key's answers in order, then normal (repeatable), e.g. key-1=503,503,429,200",
      collect,
    )
    .option('--outage-ms <ms>', 'the endpoint refuses connections for this long (wall clock)', wholeNumber(1))
    .option('--outage-at-ms <ms>', 'when the outage starts, ms after listening (default 0)', wholeNumber(0))
    .option('--overload <n>', 'above n requests in flight on a key: latency × factor and 5xx', wholeNumber(0))
    .option('--overload-error-rate <r>', 'fraction of overloaded requests that fail (default 0.5)', fraction)
    .option('--overload-latency-factor <f>', 'latency multiplier when overloaded (default 2)', positiveNumber)
    .addOption(
      new Option('--embedding-dimensions <n>', 'length of embedding vectors').argParser(wholeNumber(1, 8192)),
    )
    .action((flags: EmulateFlags) =>
      runAction('emulate', async () => {
        let config: ReturnType<typeof emulatorConfigFromFlags>;
        const bare = flags.key === undefined && flags.keys === undefined && flags.config === undefined;
        try {
          config = emulatorConfigFromFlags(bare ? { ...flags, keys: DEFAULT_EMULATOR_KEYS } : flags);
        } catch (error) {
          if (error instanceof EmulatorConfigError) throw new UsageError(error.message);
          throw error;
        }
        const emulator = await startEmulator(config);
        const keys = config.keys.map((k, i) => ({ name: k.name ?? `key-${i}`, key: k.key }));
        const pools = [...new Set(config.keys.map((k, i) => k.pool ?? k.name ?? `key-${i}`))];
        process.stdout.write(`${describeEmulator(emulator, keys)}\n`);
        await untilSignal();
        await emulator.close();
        process.stderr.write(`${summarizeLedger(emulator, pools)}\n`);
        return 0;
      }),
    );
  return exitTwoOnMisuse(command);
}
