import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmulatorConfigError } from './config-schema.js';
import type { EmulatorContext } from './context.js';
import { FaultInjector, type InstalledFault } from './faults.js';
import { handleRequest } from './handle-request.js';
import { KeyScripts } from './key-scripts.js';
import { Ledger } from './ledger.js';
import type { EmulatorOptions, FaultSpec, ScriptStep } from './options.js';
import { type PoolState, QuotaPool } from './quota-pool.js';
import { seededRandom } from './random.js';
import { type ResolvedKey, resolveOptions } from './resolve-options.js';

/** A running emulator. */
export interface Emulator {
  /** The base URL, `http://127.0.0.1:PORT`, without a path (see `baseUrlFor`). */
  readonly url: string;
  readonly port: number;
  /** Its `open`/`enter`/`leave` are the emulator's own bookkeeping; use the queries (see `LedgerView`). */
  readonly ledger: Ledger;
  /** Replaces every fault (global and per key). */
  setFaults(faults: readonly FaultSpec[]): void;
  /** Adds one fault, e.g. `{ kind: 'overloaded', key: 'k1', count: 3 }`; returns an id for `removeFault`. */
  addFault(fault: FaultSpec): number;
  removeFault(id: number): void;
  /** The faults installed, with how often each matched and fired. */
  faults(): readonly InstalledFault[];
  /**
   * Replaces the script of the key named `key`: its next requests get these answers in order, e.g.
   * `[503, 503, { status: 429, retryAfterMs: 2000 }, 200]`; after the last, normal behaviour. `[]` clears it.
   */
  setScript(key: string, steps: readonly ScriptStep[]): void;
  /** Steps of the key's script not yet consumed. */
  scriptRemaining(key: string): number;
  /** A pool's buckets now, as the rate-limit headers would report them. */
  poolState(pool: string): PoolState;
  /** Stops listening, ends every connection, hang and latency wait; resolves when the server is closed. */
  close(): Promise<void>;
}

/** Starts the provider emulator on loopback. Rejects with `EmulatorConfigError` on bad options. */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const resolved = resolveOptions(options);
  const startedAt = resolved.now();
  const random = seededRandom(resolved.seed);
  const pools = new Map<string, QuotaPool>();
  for (const [name, limits] of resolved.pools) pools.set(name, new QuotaPool(name, limits, startedAt));
  const closing = new AbortController();
  const scripts = new KeyScripts();
  for (const [name, steps] of Object.entries(resolved.scripts)) scripts.set(name, steps);
  let lastId = 0;
  const ctx: EmulatorContext = {
    options: resolved,
    keysByValue: new Map(resolved.keys.map((k): [string, ResolvedKey] => [k.key, k])),
    pools,
    ledger: new Ledger(),
    faults: new FaultInjector(random, resolved.faults),
    scripts,
    random,
    startedAt,
    closing: closing.signal,
    active: new Set(),
    nextId: () => ++lastId,
  };

  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    handleRequest(ctx, req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`emulator error: ${error instanceof Error ? error.message : String(error)}`);
      } else res.destroy();
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;

  return {
    url: `http://${host}:${port}`,
    port,
    ledger: ctx.ledger,
    setFaults: (faults) => ctx.faults.set(faults),
    addFault: (fault) => ctx.faults.add(fault),
    removeFault: (id) => ctx.faults.remove(id),
    faults: () => ctx.faults.list(),
    setScript(key, steps) {
      if (![...ctx.keysByValue.values()].some((k) => k.name === key))
        throw new EmulatorConfigError(`setScript: no key is named "${key}"`);
      ctx.scripts.set(key, steps);
    },
    scriptRemaining: (key) => ctx.scripts.remaining(key),
    poolState(name: string): PoolState {
      const pool = pools.get(name);
      if (pool === undefined)
        throw new Error(`Expected a pool name (${[...pools.keys()].join(', ')}), got \`${name}\``);
      return pool.state(resolved.now());
    },
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        for (const controller of ctx.active) controller.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
