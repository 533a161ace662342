import type { EventBus, KeymuxEvent } from './events.js';
import type { Logger } from './logger.js';

type Level = keyof Logger;

const LEVELS: Partial<Record<KeymuxEvent['type'], Level>> = {
  request: 'debug',
  success: 'debug',
  failure: 'info',
  retry: 'debug',
  'rate-limited': 'warn',
  'circuit-open': 'warn',
  'circuit-closed': 'info',
  'key-exhausted': 'warn',
  'key-unavailable': 'error',
  'key-recovered': 'info',
  'key-checked': 'debug',
  'key-added': 'info',
  'key-removed': 'info',
  'key-enabled': 'info',
  'key-disabled': 'info',
  'limits-learned': 'info',
  'concurrency-changed': 'info',
  'pool-degraded': 'warn',
  'pool-recovered': 'info',
  'store-degraded': 'warn',
  'store-recovered': 'info',
};

/** Sends events to a pino-compatible logger. Events carry key names and masked labels only. */
export function logEvents(events: EventBus, logger: Logger): void {
  events.on('*', (event) => {
    // A request the provider refused, or one its caller gave up: the caller's business, not the operator's.
    const level =
      event.type === 'failure' && (event.failureClass === 'bad-request' || event.failureClass === 'aborted')
        ? 'debug'
        : LEVELS[event.type];
    if (level) logger[level]({ ...event }, `keymux ${event.type}`);
  });
}
