/**
 * Fallback benchmark: a primary model whose keys run out of quota mid-run (every OpenAI request gets
 * 429 insufficient_quota from QUOTA_AT_MS on), with a fallback model on other keys (Groq). Reports failed
 * jobs, the fallback pool's goodput after the switch against its capacity, and the time from the
 * primary's exhaustion (its first quota answer) to the first answer served by the fallback, against one
 * request's latency. Run: npx tsx bench/fallback.ts   (JOBS=400 QUOTA_AT_MS=3000 to change the load)
 */
import 'openai';
import 'groq-sdk';
import { baseUrlFor, startEmulator } from '../src/emulator/index.js';
import { Multiplexer } from '../src/multiplexer.js';

const JOBS = Number(process.env.JOBS ?? 400);
const QUOTA_AT_MS = Number(process.env.QUOTA_AT_MS ?? 3000);
const LATENCY_MS = 100;
const OPENAI_RPM = 1200; // per key: 2 keys → 40 requests/s before the switch
const GROQ_RPM = 600; // per key: 2 keys → 20 requests/s after it
const openaiKeys = ['sk-bench-openai-00000001', 'sk-bench-openai-00000002'];
const groqKeys = ['gsk-bench-groq-000000001', 'gsk-bench-groq-000000002'];

const emulator = await startEmulator({
  keys: [
    ...openaiKeys.map((key, i) => ({ key, name: `openai-${i}`, provider: 'openai' as const })),
    ...groqKeys.map((key, i) => ({ key, name: `groq-${i}`, provider: 'groq' as const })),
  ],
  pools: {
    'openai-0': { rpm: OPENAI_RPM, tpm: 100_000_000 },
    'openai-1': { rpm: OPENAI_RPM, tpm: 100_000_000 },
    'groq-0': { rpm: GROQ_RPM, tpm: 100_000_000 },
    'groq-1': { rpm: GROQ_RPM, tpm: 100_000_000 },
  },
  latency: { kind: 'fixed', ms: LATENCY_MS },
  faults: [{ kind: 'quota', provider: 'openai', fromMs: QUOTA_AT_MS }],
});
// Every job is submitted at once: the queues hold them all (the default, 100 a key, would refuse some).
const mux = new Multiplexer({ queueSize: JOBS, fallbacks: { 'gpt-4.1': ['groq/llama-3.3-70b-versatile'] } });
for (const [i, apiKey] of openaiKeys.entries()) {
  const baseURL = baseUrlFor('openai', emulator.url);
  mux.addKey('openai', { name: `openai-${i}`, apiKey, baseURL, limits: { rpm: OPENAI_RPM } });
}
for (const [i, apiKey] of groqKeys.entries()) {
  const baseURL = baseUrlFor('groq', emulator.url);
  mux.addKey('groq', { name: `groq-${i}`, apiKey, baseURL, limits: { rpm: GROQ_RPM } });
}
const reasons: Record<string, number> = {};
const fallbackTimes: number[] = [];
mux.on('fallback', (e) => {
  reasons[e.reason] = (reasons[e.reason] ?? 0) + 1;
  fallbackTimes.push(e.at);
});

// Warm-up: each SDK loaded once (a service that used its fallback pool before); left out of the figures.
const hello = [{ role: 'user' as const, content: 'Hello' }];
await mux.getGroqClient().chat.completions.create({ model: 'llama-3.3-70b-versatile', messages: hello });
const openai = mux.getOpenAIClient();
await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: hello });
const started = performance.now();
const outcomes = await Promise.allSettled(
  Array.from({ length: JOBS }, () =>
    openai.chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'Hello' }] }),
  ),
);
const wallS = (performance.now() - started) / 1000;
const failed = outcomes.filter((o) => o.status === 'rejected').length;
const served = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.model] : []));

const ledger = emulator.ledger.entries();
const firstQuota = ledger
  .filter((e) => e.provider === 'openai' && e.status === 429)
  .sort((a, b) => a.startedAt - b.startedAt)[0];
const groqServed = ledger
  .filter((e) => e.provider === 'groq' && e.status === 200 && e.startedAt >= (firstQuota?.startedAt ?? 0))
  .sort((a, b) => a.startedAt - b.startedAt);
const openaiServed = ledger.filter((e) => e.provider === 'openai' && e.status === 200);
const latencies = openaiServed.map((e) => (e.endedAt ?? e.startedAt) - e.startedAt).sort((a, b) => a - b);
const medianLatency = latencies[Math.floor(latencies.length / 2)] ?? Number.NaN;
const exhaustedAt = firstQuota?.endedAt ?? Number.NaN;
const firstFallback = groqServed[0];
const switchMs = (firstFallback?.endedAt ?? Number.NaN) - exhaustedAt;
const last = groqServed.at(-1);
const spanS = ((last?.endedAt ?? 0) - (firstFallback?.startedAt ?? 0)) / 1000;
const goodput = groqServed.length / spanS;
const capacity = (2 * GROQ_RPM) / 60;

console.log(`jobs ${JOBS}, failed ${failed}, wall ${wallS.toFixed(1)} s`);
console.log(
  `served by gpt-4.1: ${served.filter((m) => m === 'gpt-4.1').length}, by llama-3.3-70b-versatile: ${served.filter((m) => m !== 'gpt-4.1').length}`,
);
console.log(`fallback events by reason: ${JSON.stringify(reasons)}`);
console.log(
  `fallback pool goodput after the switch: ${goodput.toFixed(1)} req/s of ${capacity} (${((100 * goodput) / capacity).toFixed(1)}%)`,
);
const sentMs = (firstFallback?.startedAt ?? Number.NaN) - exhaustedAt;
console.log(
  `exhaustion → first fallback sent: ${sentMs.toFixed(0)} ms, served: ${switchMs.toFixed(0)} ms (one request's latency: ${medianLatency} ms)`,
);
// Work done ahead of the first fallback's request (fallbacks handled before it reached the emulator): a
// figure the machine's load does not change, unlike the milliseconds above.
const ahead = fallbackTimes.filter((at) => at <= (firstFallback?.startedAt ?? 0)).length;
console.log(
  `fallbacks handled before the first fallback request arrived: ${ahead} of ${fallbackTimes.length}`,
);
await mux.close();
await emulator.close();
