/**
 * What the gateway adds: the same chat completions sent straight to the emulator and through
 * `keymux serve`'s gateway (one key, limits far above the load, emulator at 0 ms latency), side by
 * side in one run. The emulator and the gateway each run in a process of their own; this process
 * only sends. Reports p50/p99 latency at a fixed arrival rate (open loop) and the most requests per
 * second each path sustains with CONNECTIONS requests in flight (closed loop).
 * Run: npm run bench:gateway   (RATE=500 SECONDS=5 CONNECTIONS=64 ROUNDS=2 to change it;
 * PROFILE=dir writes the gateway process's CPU profile into dir)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';

const RATE = Number(process.env.RATE ?? 500);
const SECONDS = Number(process.env.SECONDS ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
/** A directory: the gateway process writes a CPU profile there (`node --cpu-prof`). */
const PROFILE = process.env.PROFILE;
const KEY = 'sk-bench-gateway-0123456789abcdef';
const BODY = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'How much does a gateway add?' }],
  max_tokens: 16,
});

/** Child roles: `emulator` prints its URL; `gateway <emulatorUrl>` prints the gateway's. */
async function child(role: string, upstream: string | undefined): Promise<void> {
  if (role === 'emulator') {
    const { startEmulator } = await import('../src/emulator/index.js');
    const emulator = await startEmulator({
      keys: [{ key: KEY, name: 'bench' }],
      defaultLimits: { rpm: 1e9, tpm: 1e12 },
    });
    process.send?.(emulator.url);
    answerCpu();
    return;
  }
  const { Multiplexer } = await import('../src/multiplexer.js');
  const { startGateway } = await import('../src/serve/index.js');
  const mux = new Multiplexer({ maxConcurrentRequests: 1024, queueSize: 100_000 });
  mux.addKey('openai', {
    name: 'bench',
    apiKey: KEY,
    baseURL: `${upstream}/v1`,
    limits: { rpm: 1e9, tpm: 1e12 },
  });
  const gateway = await startGateway(mux, { port: 0 });
  process.send?.(gateway.url);
  answerCpu();
}

/** A child answers `cpu` with its CPU time so far (µs): a figure the machine's other load barely moves. */
function answerCpu(): void {
  process.on('message', (message) => {
    if (message === 'exit') process.exit(0); // a clean exit, so `--cpu-prof` writes its profile
    const { user, system } = process.cpuUsage();
    process.send?.(user + system);
  });
}

function cpuOf(proc: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    proc.once('message', (us) => resolve(Number(us)));
    proc.send('cpu');
  });
}

function start(role: string, ...args: string[]): Promise<{ proc: ChildProcess; url: string }> {
  const execArgv =
    role === 'gateway' && PROFILE !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [];
  const proc = fork(fileURLToPath(import.meta.url), [role, ...args], { stdio: 'inherit', execArgv });
  return new Promise((resolve) => proc.once('message', (url) => resolve({ proc, url: String(url) })));
}

const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });

function send(url: URL, auth: string): Promise<number> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: `${url.pathname}/chat/completions`,
        headers: {
          authorization: `Bearer ${auth}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(BODY),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Number(process.hrtime.bigint() - started) / 1e6)
            : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(BODY);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Open loop: one request every 1/RATE s whatever the answers do, so slow answers cannot hide. */
async function atRate(url: URL, auth: string): Promise<{ p50: number; p99: number }> {
  const total = RATE * SECONDS;
  const begin = performance.now();
  const pending: Array<Promise<number>> = [];
  for (let i = 0; i < total; i++) {
    const due = begin + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(send(url, auth));
  }
  const sorted = (await Promise.all(pending)).sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** Closed loop: CONNECTIONS requests always in flight for SECONDS. */
async function maxRate(url: URL, auth: string): Promise<{ perSecond: number; count: number }> {
  let done = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        await send(url, auth);
        done++;
      }
    }),
  );
  return { perSecond: done / SECONDS, count: done };
}

async function main(): Promise<void> {
  const emulator = await start('emulator');
  const gateway = await start('gateway', emulator.url);
  const direct = new URL(`${emulator.url}/v1`);
  const through = new URL(`${gateway.url}/v1`);
  const rows: string[] = [];
  const median = (xs: number[]): number =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const series = () => ({ p50: [] as number[], p99: [] as number[], max: [] as number[] });
  const results = { direct: series(), gateway: series() };
  const gatewayCpu: number[] = [];
  await maxRate(through, 'bench'); // warm-up: JIT, connections, the SDK's ESM build
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, url] of [
      ['direct', direct],
      ['gateway', through],
    ] as const) {
      // The emulator checks the key, so the direct path sends the real one; the gateway has no tokens.
      const auth = name === 'direct' ? KEY : 'any';
      const latency = await atRate(url, auth);
      const cpuBefore = await cpuOf(gateway.proc);
      const max = await maxRate(url, auth);
      const cpu = (await cpuOf(gateway.proc)) - cpuBefore;
      results[name].p50.push(latency.p50);
      results[name].p99.push(latency.p99);
      results[name].max.push(max.perSecond);
      if (name === 'gateway') gatewayCpu.push(cpu / max.count);
    }
  }
  const d = results.direct;
  const g = results.gateway;
  rows.push(
    `gateway overhead: ${RATE} req/s for ${SECONDS} s (open loop), then ${CONNECTIONS} in flight; median of ${ROUNDS} rounds, node ${process.version}`,
  );
  rows.push('path        p50 ms   p99 ms   max req/s');
  rows.push(
    `direct    ${median(d.p50).toFixed(2).padStart(7)}  ${median(d.p99).toFixed(2).padStart(7)}   ${median(d.max).toFixed(0).padStart(9)}`,
  );
  rows.push(
    `gateway   ${median(g.p50).toFixed(2).padStart(7)}  ${median(g.p99).toFixed(2).padStart(7)}   ${median(g.max).toFixed(0).padStart(9)}`,
  );
  rows.push(
    `added     ${(median(g.p50) - median(d.p50)).toFixed(2).padStart(7)}  ${(median(g.p99) - median(d.p99)).toFixed(2).padStart(7)}`,
  );
  const cpu = median(gatewayCpu);
  rows.push(
    `gateway process CPU per request: ${cpu.toFixed(0)} µs → about ${(1e6 / cpu).toFixed(0)} req/s on one core`,
  );
  process.stdout.write(`${rows.join('\n')}\n`);
  emulator.proc.kill();
  gateway.proc.send('exit');
  agent.destroy();
}

const [role, upstream] = process.argv.slice(2);
if (role === undefined) await main();
else await child(role, upstream);
