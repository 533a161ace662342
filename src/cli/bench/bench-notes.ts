import type { BenchOptions } from './bench-options.js';
import type { BenchSettings } from './bench-result.js';

/** What makes the comparison fair, stated in the output next to the figures. */
export function benchNotes(s: BenchSettings, options: BenchOptions, tokensFromLedger: boolean): string[] {
  const keymuxOnly = options.baselines === false;
  const notes = [
    `Every run gets the same ${s.jobs} seeded jobs (seed ${s.seed}) from the same driver, ${options.arrival === 'batch' ? 'all submitted at once (batch)' : `${s.concurrency} jobs outstanding at once`}, through the official ${s.provider} SDK; the driver never retries.`,
    ...(keymuxOnly
      ? []
      : [
          `(a) single key: one SDK client with its default retries (its own backoff, honouring retry-after); it stops taking jobs after ${options.singleKeySeconds} s, so compare its rate, not its totals; its capacity is one key's.`,
          '(b) naive rotation: one SDK client per key, taken in turn, SDK retries on.',
        ]),
    `keymux: one SDK client per key with retries off, keymux paces, queues and fails over; requests in flight per key: ${options.maxConcurrent.map((m) => (m === 'auto' ? "'auto' (adaptive)" : m)).join(', then ')}.`,
    "Goodput = successful jobs / wall time, as a percentage of the keys' capacity: Σ over keys of min(rpm/60, tpm/(60 · tokens per request)) for keymux, whose slots are its own choice; for the baselines also min'd with outstanding jobs / mean latency.",
  ];
  if (s.target === 'emulator') {
    notes.push(
      `Each run has a fresh emulator: ${s.keys} keys at ${s.rpm} rpm and ${s.tpm} tpm, latency ${s.latencyMs?.min}–${s.latencyMs?.max} ms, ${emulatorLimits(options)}. 429s, requests and retries are counted by its ledger.`,
    );
    if (tokensFromLedger)
      notes.push(
        "Tokens per request: as the emulator charged them (the provider's rule), mean over answered requests.",
      );
  } else {
    notes.push(
      `Real provider: at most ${options.maxRequests} requests (checked before each one leaves) and jobs whose prompt + max tokens fit ${options.maxTokens} tokens, split evenly over the runs; raise --max-requests / --max-tokens to measure more.`,
    );
  }
  return notes;
}

/** How the bench's emulator enforces limits, and any fault mode it runs with. */
function emulatorLimits(o: BenchOptions): string {
  const limits = o.strict
    ? `strict limits: each a continuously refilled (GCRA) bucket holding ${o.strictBurst ?? 2} requests, as providers enforce them`
    : `${o.burstSeconds} s of burst per limit (providers enforce per-minute limits over shorter periods)`;
  const outage =
    o.outageMs === undefined ? '' : `; an outage of ${o.outageMs} ms at ${o.outageAtMs ?? 1000} ms`;
  const overload =
    o.overloadAbove === undefined
      ? ''
      : `; overload above ${o.overloadAbove} in flight per key (latency ×${o.overloadLatencyFactor ?? 2}, ${(o.overloadErrorRate ?? 0.5) * 100}% 5xx)`;
  const fault = o.faultAtStart ? "; the first key's first request answered 429 (Retry-After 1 s)" : '';
  return `${limits}${outage}${overload}${fault}`;
}
