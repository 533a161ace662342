import type { EventBus } from '../core/events.js';
import type { Failure } from '../core/failure.js';
import type { CheckedState } from '../core/key-check.js';
import type { KeyWorker } from '../worker/key-worker.js';

/** States a passing check ends: the provider accepts the key again (DESIGN.md, issue 15). */
const REVIVED_BY_SUCCESS: ReadonlySet<CheckedState> = new Set(['unavailable', 'exhausted', 'circuit-open']);

/**
 * A check's verdict on the key, as a real call's would be: 401/403 make it unavailable, a spent quota
 * exhausted, a transient fault counts toward its breaker; a pass revives a key held out. Returns the
 * key's state afterwards. `notify` wakes jobs waiting for a key.
 */
export function applyCheck(
  worker: KeyWorker,
  failure: Failure | undefined,
  at: number,
  events: EventBus,
  notify: () => void,
): CheckedState {
  const { health, ref } = worker.deps;
  if (failure !== undefined) {
    if (failure.class !== 'aborted') {
      const change = health.onFailure(failure, at);
      // `ejection-held` is the pool's bookkeeping of real traffic, not an event; a check leaves it alone.
      if (change && change.type !== 'ejection-held') events.emit({ ...change, at, key: ref });
    }
    return health.state(at);
  }
  if (REVIVED_BY_SUCCESS.has(health.state(at))) {
    if (health.reset(at)) events.emit({ type: 'key-recovered', at, key: ref });
    notify();
  } else if (health.onSuccess()) {
    events.emit({ type: 'circuit-closed', at, key: ref });
  }
  return health.state(at);
}
