// bench:overhead three times: OpenTelemetry absent, installed but no provider registered, and registered
// with an exporter that drops every span. Run: npm run bench:telemetry (ROUNDS=… JOBS=… pass through).
import { execFileSync } from 'node:child_process';

const runs = [
  { name: 'absent', args: ['--import', './bench/otel-absent.mjs'], env: {} },
  { name: 'unregistered', args: [], env: {} },
  { name: 'noop', args: [], env: { KEYMUX_BENCH_OTEL: 'noop' } },
];
for (const run of runs) {
  execFileSync(process.execPath, [...run.args, 'dist-bench/bench/overhead.js'], {
    stdio: 'inherit',
    env: { ...process.env, ...run.env },
  });
}

// The hot path's own cost, apart from the noise of whole runs: what `execute` adds per job to ask
// whether anyone traces it, with the API installed and no provider registered (`mayTrace`, a read of the
// API's global registry; `startJob` only when it says yes).
const { Telemetry } = await import('../dist-bench/src/telemetry/telemetry.js');
const { loadApi } = await import('../dist-bench/src/telemetry/load-api.js');
await loadApi();
const telemetry = new Telemetry({ captureContent: false }, { now: () => 0, sleep: async () => undefined });
const N = 2_000_000;
const costs = [];
for (let round = 0; round < 5; round++) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++)
    if ((telemetry.mayTrace() ? telemetry.startJob('p', 'round-robin', undefined) : undefined) !== undefined)
      throw new Error('traced');
  costs.push(Number(process.hrtime.bigint() - start) / N);
}
costs.sort((a, b) => a - b);
console.log(`the check with no provider registered: ${costs[2].toFixed(1)} ns per job (median of 5 × ${N})`);
