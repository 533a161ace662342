import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchStore } from './batches/batch-store.js';
import { EmulatorConfigError } from './config/config-schema.js';
import type { EmulatorOptions } from './config/options.js';
import { resolveOptions } from './config/resolve-options.js';
import type { EmulatorContext } from './context.js';
import type { Emulator } from './emulator-api.js';
import { FaultInjector } from './faults/faults.js';
import { KeyScripts } from './faults/key-scripts.js';
import { OutageSwitch } from './faults/outage.js';
import { handleRequest } from './http/handle-request.js';
import { Ledger } from './ledger.js';
import { KeyRegistry } from './limits/key-registry.js';
import { modelScope } from './limits/model-scope.js';
import { parseOverload } from './limits/overload.js';
import type { PoolState } from './limits/quota-pool.js';
import { seededRandom } from './random.js';

export type { Emulator } from './emulator-api.js';

/** Starts the provider emulator on loopback. Rejects with `EmulatorConfigError` on bad options. */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const resolved = resolveOptions(options);
  const startedAt = resolved.now();
  const random = seededRandom(resolved.seed);
  const keys = new KeyRegistry(resolved.defaultLimits, resolved.configuredPools);
  for (const key of resolved.keys) keys.insert(key);
  const closing = new AbortController();
  const scripts = new KeyScripts();
  for (const [name, steps] of Object.entries(resolved.scripts)) scripts.set(name, steps);
  let lastId = 0;
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    handleRequest(ctx, req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`emulator error: ${error instanceof Error ? error.message : String(error)}`);
      } else res.destroy();
    });
  });
  const ctx: EmulatorContext = {
    options: resolved,
    keys,
    keyInFlight: new Map(),
    overload: resolved.overload,
    outage: new OutageSwitch(server, resolved.now),
    ledger: new Ledger(),
    batches: new BatchStore(),
    faults: new FaultInjector(random, resolved.faults),
    scripts,
    random,
    startedAt,
    closing: closing.signal,
    active: new Set(),
    nextId: () => ++lastId,
  };
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  ctx.outage.bind(port, resolved.host);
  ctx.outage.schedule(resolved.outages);
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;

  return {
    url: `http://${host}:${port}`,
    port,
    ledger: ctx.ledger,
    batches: () => ctx.batches.records(),
    setFaults: (faults) => ctx.faults.set(faults),
    addFault: (fault) => ctx.faults.add(fault),
    removeFault: (id) => ctx.faults.remove(id),
    faults: () => ctx.faults.list(),
    setScript(key, steps) {
      if (!keys.has(key)) throw new EmulatorConfigError(`setScript: no key is named "${key}"`);
      ctx.scripts.set(key, steps);
    },
    scriptRemaining: (key) => ctx.scripts.remaining(key),
    setOverload(spec) {
      ctx.overload = spec === undefined ? undefined : parseOverload(spec);
    },
    addKey: (key, limits) => void keys.add(key, limits),
    removeKey: (name) => keys.remove(name),
    keyNames: () => keys.names(),
    beginOutage: () => ctx.outage.begin(),
    endOutage: () => ctx.outage.end(),
    outage: (durationMs) => ctx.outage.for(durationMs),
    get inOutage() {
      return ctx.outage.active;
    },
    outages: () => ctx.outage.records(),
    poolState(name: string, model?: string): PoolState {
      const pool = keys.pool(name);
      if (pool === undefined)
        throw new Error(`Expected a pool name (${keys.poolNames().join(', ')}), got \`${name}\``);
      // A model is named as a request would name it; the pool's provider is the one its keys speak.
      const scope = model === undefined ? undefined : modelScope(keys.providerOf(name) ?? 'openai', model);
      return pool.state(resolved.now(), undefined, scope);
    },
    async close() {
      closing.abort();
      for (const controller of ctx.active) controller.abort();
      const listening = await ctx.outage.shutdown();
      if (!listening) return;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
