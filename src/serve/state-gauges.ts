import { Gauge, type Registry } from 'prom-client';
import type { Multiplexer } from '../multiplexer.js';

const LIMIT_LABELS: Readonly<Record<string, { dimension: string; window: string }>> = {
  rpm: { dimension: 'requests', window: 'minute' },
  tpm: { dimension: 'tokens', window: 'minute' },
  rpd: { dimension: 'requests', window: 'day' },
  tpd: { dimension: 'tokens', window: 'day' },
};

/** Gauges read from the stats when scraped: always current, nothing to keep in step. */
export function registerStateGauges(mux: Multiplexer, registry: Registry): void {
  const registers = [registry];
  const keyLabels = ['provider', 'key'] as const;
  // Registered first, its collect refreshes every gauge below before any of them is read.
  const depth = new Gauge({
    name: 'keymux_queue_depth',
    help: 'Jobs queued on a key for it alone (calls that name their key)',
    labelNames: keyLabels,
    registers,
    collect: () => refresh(),
  });
  const inFlight = new Gauge({
    name: 'keymux_in_flight',
    help: 'Calls in flight on a key',
    labelNames: keyLabels,
    registers,
  });
  const up = new Gauge({
    name: 'keymux_key_up',
    help: '1 when the key can serve (healthy or degraded)',
    labelNames: keyLabels,
    registers,
  });
  const circuitOpen = new Gauge({
    name: 'keymux_circuit_open',
    help: '1 while the key’s circuit breaker is open, else 0',
    labelNames: keyLabels,
    registers,
  });
  const remaining = new Gauge({
    name: 'keymux_limit_remaining',
    help: 'Requests or tokens left in the current window of each known limit of a key',
    labelNames: ['provider', 'key', 'dimension', 'window'],
    registers,
  });
  const waiting = new Gauge({
    name: 'keymux_pool_waiting',
    help: 'Jobs of a provider waiting for any of its keys to be able to start them (the pool’s backlog)',
    labelNames: ['provider'],
    registers,
  });
  const refresh = (): void => {
    for (const gauge of [depth, inFlight, up, circuitOpen, remaining, waiting]) gauge.reset();
    for (const [provider, stats] of Object.entries(mux.getUsageStats().providers)) {
      waiting.set({ provider }, stats.waiting);
      for (const key of stats.keys) {
        const labels = { provider, key: key.name };
        depth.set(labels, key.queued);
        inFlight.set(labels, key.inFlight);
        up.set(labels, key.state === 'healthy' || key.state === 'degraded' ? 1 : 0);
        circuitOpen.set(labels, key.state === 'circuit-open' ? 1 : 0);
        for (const [limit, usage] of Object.entries(key.limits)) {
          const named = LIMIT_LABELS[limit];
          if (usage && named) remaining.set({ ...labels, ...named }, Math.max(0, usage.limit - usage.used));
        }
      }
    }
  };
}
