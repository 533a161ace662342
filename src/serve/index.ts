export { type Dialect, errorBody } from './error-body.js';
export { createGateway, type Gateway, startGateway } from './gateway.js';
export type { GatewayObserver } from './gateway-job.js';
export { createGatewayLogger, type GatewayLoggerOptions } from './gateway-logger.js';
export {
  type GatewayLogger,
  type GatewayOptions,
  isLoopback,
  MIN_TOKEN_LENGTH,
  type ResolvedGatewayOptions,
} from './gateway-options.js';
export { createMetrics, type KeymuxMetrics, type MetricsOptions } from './metrics.js';
