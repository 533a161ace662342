import type { Registry } from 'prom-client';
import type { Logger } from '../config/options.js';
import { ConfigError } from '../core/errors.js';

/** How `startGateway` listens and whom it serves. */
export interface GatewayOptions {
  /** 0 picks a free port. @default 8080 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Tokens clients must present (Bearer, `x-api-key`, `x-goog-api-key` or `?key=`). @default none: loopback only */
  readonly gatewayTokens?: readonly string[];
  /** Bearer token of the admin API. @default none: the admin API is open on loopback only */
  readonly adminToken?: string | undefined;
  /** How long a shutdown waits for requests in flight (streams included), in ms. @default 30000 */
  readonly drainTimeoutMs?: number;
  /** Where the `keymux_*` metrics are registered. @default a new registry */
  readonly registry?: Registry;
  /** Start and shutdown lines. @default none */
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
  /**
   * Why the keys' store is degraded, for `/readyz` (a Redis store's `reason`): a store that went local
   * before the gateway started is said too. @default the reason of the last `store-degraded` event seen
   */
  readonly storeReason?: () => string | undefined;
}

export interface ResolvedGatewayOptions {
  readonly port: number;
  readonly host: string;
  readonly gatewayTokens: readonly string[];
  readonly adminToken: string | undefined;
  readonly drainTimeoutMs: number;
  readonly registry: Registry | undefined;
  readonly logger: Pick<Logger, 'info' | 'warn'> | undefined;
  readonly storeReason: (() => string | undefined) | undefined;
}

/** Whether a listen address only takes connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function wholeNumber(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw new ConfigError(
      path,
      `expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  return value;
}

function tokens(value: readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return value.map((token, i) => {
    if (typeof token !== 'string' || token.trim() === '')
      throw new ConfigError(`gatewayTokens[${i}]`, 'expected a non-empty string');
    return token.trim();
  });
}

/** Validates once; a gateway reachable from other machines needs both kinds of token. */
export function resolveGatewayOptions(options: GatewayOptions): ResolvedGatewayOptions {
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '')
    throw new ConfigError('host', 'expected a host name or address');
  const gatewayTokens = tokens(options.gatewayTokens);
  const adminToken = options.adminToken?.trim() || undefined;
  if (!isLoopback(host) && gatewayTokens.length === 0)
    throw new ConfigError(
      'gatewayTokens',
      `listening on ${host} (not loopback) needs gateway tokens: set KEYMUX_GATEWAY_TOKENS`,
    );
  if (!isLoopback(host) && adminToken === undefined)
    throw new ConfigError(
      'adminToken',
      `listening on ${host} (not loopback) needs an admin token: set KEYMUX_ADMIN_TOKEN`,
    );
  return {
    port: wholeNumber(options.port ?? 8080, 'port', 0, 65_535),
    host,
    gatewayTokens,
    adminToken,
    drainTimeoutMs: wholeNumber(options.drainTimeoutMs ?? 30_000, 'drainTimeoutMs', 0, 86_400_000),
    registry: options.registry,
    logger: options.logger,
    storeReason: options.storeReason,
  };
}
