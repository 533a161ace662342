import type { Server } from 'node:http';
import type { OutageSpec } from '../config/options.js';

export type { OutageSpec };

/** One outage as it happened, on the emulator's clock (the `now` option). */
export interface OutageRecord {
  readonly startedAt: number;
  /** undefined while it lasts. */
  readonly endedAt: number | undefined;
  /** Requests in flight that the outage cut (their sockets destroyed). */
  readonly cutRequests: number;
}

/**
 * The whole endpoint goes away and comes back: the listening socket closes (new connections get
 * ECONNREFUSED), every open socket is destroyed (requests in flight see a reset), and at the end the
 * server listens again on the same port.
 */
export class OutageSwitch {
  readonly #server: Server;
  readonly #now: () => number;
  #port = 0;
  #host = '127.0.0.1';
  #closed = false;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #cancels = new Set<() => void>();
  #records: Array<{ startedAt: number; endedAt: number | undefined; cutRequests: number }> = [];
  #transition: Promise<void> = Promise.resolve();

  constructor(server: Server, now: () => number) {
    this.#server = server;
    this.#now = now;
  }

  /** Where to listen again after an outage: the address the server first bound. */
  bind(port: number, host: string): void {
    this.#port = port;
    this.#host = host;
  }

  get active(): boolean {
    const last = this.#records.at(-1);
    return last !== undefined && last.endedAt === undefined;
  }

  records(): readonly OutageRecord[] {
    return this.#records.map((r) => ({ ...r }));
  }

  /** Counts a request the outage cut short (the handler calls this when its socket dies during one). */
  countCut(): void {
    const last = this.#records.at(-1);
    if (last !== undefined && last.endedAt === undefined) last.cutRequests++;
  }

  /** Starts refusing connections now; resolves once the listener is closed. No-op while one is active. */
  begin(): Promise<void> {
    this.#transition = this.#transition.then(async () => {
      if (this.active || this.#closed) return;
      this.#records.push({ startedAt: this.#now(), endedAt: undefined, cutRequests: 0 });
      await new Promise<void>((resolve) => {
        this.#server.close(() => resolve());
        this.#server.closeAllConnections();
      });
    });
    return this.#transition;
  }

  /** Listens again on the same port; resolves once it does. No-op when no outage is active. */
  end(): Promise<void> {
    this.#transition = this.#transition.then(async () => {
      const last = this.#records.at(-1);
      if (last === undefined || last.endedAt !== undefined || this.#closed) return;
      await new Promise<void>((resolve, reject) => {
        this.#server.once('error', reject);
        this.#server.listen(this.#port, this.#host, () => {
          this.#server.off('error', reject);
          resolve();
        });
      });
      last.endedAt = this.#now();
    });
    return this.#transition;
  }

  /** An outage of `durationMs` real time from now; resolves when it is over. */
  async for(durationMs: number): Promise<void> {
    await this.begin();
    const finished = await new Promise<boolean>((resolve) => {
      const cancel = (): void => resolve(false);
      this.#cancels.add(cancel);
      this.#timer(durationMs, () => {
        this.#cancels.delete(cancel);
        resolve(true);
      });
    });
    if (finished) await this.end();
  }

  /** Schedules outages on wall-clock timers from now. */
  schedule(specs: readonly OutageSpec[]): void {
    for (const spec of specs) this.#timer(spec.atMs, () => void this.for(spec.durationMs));
  }

  /**
   * For `close()`: cancels pending schedules and ends waits; resolves with whether the server is still
   * listening (so needs closing).
   */
  async shutdown(): Promise<boolean> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const cancel of this.#cancels) cancel();
    this.#cancels.clear();
    await this.#transition;
    this.#closed = true;
    return !this.active;
  }

  #timer(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }
}
