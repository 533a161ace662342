import type { RedisServer } from '../shared/redis-server.js';

/** A Redis outage of a process bench: the server stopped `atMs` after the start, for `durationMs`. */
export interface OutagePlan {
  readonly server: RedisServer;
  readonly atMs: number;
  readonly durationMs: number;
}

/** How long after a Redis outage ends its 429s are still counted as its own. */
export const OUTAGE_TAIL_MS = 5000;

/** Stops the Redis server at `atMs` and starts it again `durationMs` later; resolves once it is back. */
export function scheduleOutage(outage: OutagePlan, timers: NodeJS.Timeout[]): Promise<void> {
  return new Promise((resolve, reject) => {
    timers.push(
      setTimeout(() => {
        outage.server.stop().then(() => {
          timers.push(
            setTimeout(() => {
              outage.server.start().then(resolve, reject);
            }, outage.durationMs),
          );
        }, reject);
      }, outage.atMs),
    );
  });
}
