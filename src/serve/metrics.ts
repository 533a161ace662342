import { createRequire } from 'node:module';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { KeymuxEvent } from '../core/events.js';
import type { Multiplexer } from '../multiplexer.js';
import type { GatewayObserver } from './gateway-job.js';
import { JobLabels } from './job-labels.js';
import { registerSpendMetrics } from './spend-metrics.js';
import { registerStateGauges } from './state-gauges.js';

export interface MetricsOptions {
  /** Where the `keymux_*` metrics go. @default a new registry */
  readonly registry?: Registry;
  /** Also register prom-client's `process_*` and `nodejs_*` metrics (once per registry). @default false */
  readonly defaultMetrics?: boolean;
}

/** The multiplexer's Prometheus metrics; `observer` takes what only the gateway sees. */
export interface KeymuxMetrics {
  readonly registry: Registry;
  readonly observer: GatewayObserver;
  /** Stops listening to the multiplexer's events. */
  stop(): void;
}

const COOLDOWN_REASON: Partial<Record<KeymuxEvent['type'], string>> = {
  'rate-limited': 'rate-limited',
  'circuit-open': 'circuit-open',
  'key-exhausted': 'quota-exhausted',
  'key-unavailable': 'auth',
};

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function packageVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Prometheus metrics built from the multiplexer's event stream (counters, histograms) and its stats
 * at scrape time (gauges). Every `key` label is the key's name, never its value. Attempts (one per key
 * tried) and requests (one per job, by its final outcome) are counted apart.
 */
export function createMetrics(mux: Multiplexer, options: MetricsOptions = {}): KeymuxMetrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'keymux_build_info',
    help: 'Always 1; the keymux version as a label',
    labelNames: ['version'],
    registers,
  }).set({ version: packageVersion() }, 1);
  const attempts = new Counter({
    name: 'keymux_attempts_total',
    help: 'Attempts sent to a provider on a key, by outcome (ok, or the failure class)',
    labelNames: ['provider', 'key', 'model', 'outcome'],
    registers,
  });
  const requests = new Counter({
    name: 'keymux_requests_total',
    help: 'Requests (jobs) by final outcome: ok, the failure class of their last attempt, or rejected (no attempt)',
    labelNames: ['provider', 'model', 'outcome'],
    registers,
  });
  const duration = new Histogram({
    name: 'keymux_attempt_duration_seconds',
    help: 'Upstream latency of one attempt on a key, until its answer (or its stream) ended',
    labelNames: ['provider', 'key'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const firstToken = new Histogram({
    name: 'keymux_time_to_first_token_seconds',
    help: 'Time from a gateway request to the first chunk of its stream',
    labelNames: ['provider', 'key'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const tokens = new Counter({
    name: 'keymux_tokens_total',
    help: 'Tokens reported by the provider, by key and type (input, output)',
    labelNames: ['provider', 'key', 'type'],
    registers,
  });
  const queueWait = new Histogram({
    name: 'keymux_queue_wait_seconds',
    help: 'Time a gateway request waited before its first attempt started',
    labelNames: ['provider'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers,
  });
  const responses = new Counter({
    name: 'keymux_gateway_responses_total',
    help: 'Responses of the gateway itself, by route and HTTP status code',
    labelNames: ['route', 'code'],
    registers,
  });
  const cooldowns = new Counter({
    name: 'keymux_key_cooldowns_total',
    help: 'Times a key was taken out of rotation, by reason',
    labelNames: ['provider', 'key', 'reason'],
    registers,
  });
  const retries = new Counter({
    name: 'keymux_retries_total',
    help: 'Attempts that failed over to another key',
    labelNames: ['provider', 'key'],
    registers,
  });
  // prom-client hashes a label set on every call; the children, kept, cost a Map lookup.
  const attemptsOf = children((provider, key, model, outcome) =>
    attempts.labels(provider, key, model, outcome),
  );
  const requestsOf = children((provider, model, outcome) => requests.labels(provider, model, outcome));
  const durationOf = children((provider, key) => duration.labels(provider, key));
  const tokensOf = children((provider, key, type) => tokens.labels(provider, key, type));
  const firstTokenOf = children((provider, key) => firstToken.labels(provider, key));
  const queueWaitOf = children((provider) => queueWait.labels(provider));
  const responsesOf = children((route, code) => responses.labels(route, code));
  const jobs = new JobLabels();
  const stop = mux.on('*', (event) => {
    if (event.type === 'job-settled') {
      const outcome = event.ok ? 'ok' : (jobs.lastFailure(event.jobId) ?? 'rejected');
      requestsOf(event.provider, jobs.model(event.jobId), outcome).inc();
      jobs.settled(event.jobId);
      return;
    }
    if (!('key' in event)) return;
    const { provider, name } = event.key;
    if (event.type === 'request') {
      jobs.started(event.jobId);
    } else if (event.type === 'success') {
      attemptsOf(provider, name, jobs.model(event.jobId), 'ok').inc();
      durationOf(provider, name).observe(event.latencyMs / 1000);
      if (event.usage) {
        tokensOf(provider, name, 'input').inc(event.usage.inputTokens);
        tokensOf(provider, name, 'output').inc(event.usage.outputTokens);
      }
      jobs.ended(event.jobId, undefined);
    } else if (event.type === 'failure') {
      attemptsOf(provider, name, jobs.model(event.jobId), event.failureClass).inc();
      durationOf(provider, name).observe(event.latencyMs / 1000);
      jobs.ended(event.jobId, event.failureClass);
    } else if (event.type === 'retry') {
      retries.inc({ provider, key: name });
    } else {
      const reason = COOLDOWN_REASON[event.type];
      if (reason !== undefined) cooldowns.inc({ provider, key: name, reason });
    }
  });
  registerStateGauges(mux, registry);
  registerSpendMetrics(mux, registry);
  return {
    registry,
    observer: {
      queueWait: (provider, seconds) => queueWaitOf(provider).observe(seconds),
      firstToken: (provider, key, seconds) => firstTokenOf(provider, key).observe(seconds),
      model: (jobId, model) => jobs.setModel(jobId, model),
      response: (route, code) => responsesOf(route, String(code)).inc(),
    },
    stop,
  };
}

/** A metric's child per label values, made on first use. */
function children<C>(make: (...values: string[]) => C): (...values: string[]) => C {
  const made = new Map<string, C>();
  return (...values) => {
    const id = values.join('\u0000');
    let child = made.get(id);
    if (child === undefined) {
      child = make(...values);
      made.set(id, child);
    }
    return child;
  };
}
