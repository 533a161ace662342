import type { Multiplexer } from '../multiplexer.js';

/** What `/readyz` says of the keys' shared state: its mode and, while Redis is away, why. */
export interface StoreStatus {
  readonly mode: Multiplexer['storeMode'];
  readonly reason?: string;
}

/** Follows the multiplexer's store events, or asks `reasonOf` when given; `stop()` unsubscribes. */
export function watchStoreStatus(
  mux: Multiplexer,
  reasonOf?: () => string | undefined,
): { status(): StoreStatus; stop(): void } {
  let reason: string | undefined;
  const offs = [
    mux.on('store-degraded', (e) => {
      reason = e.reason;
    }),
    mux.on('store-recovered', () => {
      reason = undefined;
    }),
  ];
  return {
    status: () => {
      const mode = mux.storeMode;
      const why = reasonOf?.() ?? reason;
      return mode === 'degraded' && why !== undefined ? { mode, reason: why } : { mode };
    },
    stop: () => {
      for (const off of offs) off();
    },
  };
}
