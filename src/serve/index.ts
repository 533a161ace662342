export { type Dialect, errorBody } from './error-body.js';
export { createGateway, type Gateway, startGateway } from './gateway.js';
export type { GatewayObserver } from './gateway-job.js';
export { type GatewayOptions, isLoopback, type ResolvedGatewayOptions } from './gateway-options.js';
export { createMetrics, type KeymuxMetrics, type MetricsOptions } from './metrics.js';
