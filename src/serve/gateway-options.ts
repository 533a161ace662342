import type { Registry } from 'prom-client';
import type { Logger } from '../config/options.js';
import { ConfigError } from '../core/errors.js';

/** What the gateway logs to: any pino-compatible logger; `debug` and `error` are optional. */
export type GatewayLogger = Pick<Logger, 'info' | 'warn'> & Partial<Pick<Logger, 'debug' | 'error'>>;

/** How `startGateway` listens and whom it serves. */
export interface GatewayOptions {
  /** 0 picks a free port. @default 8080 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Tokens clients must present (Bearer, `x-api-key`, `x-goog-api-key` or `?key=`). @default none: loopback only */
  readonly gatewayTokens?: readonly string[];
  /** Bearer token of the admin API and the dashboard's data. @default none: open on loopback only */
  readonly adminToken?: string | undefined;
  /**
   * `Host` names accepted besides the loopback ones (`localhost`, `127.0.0.1`, `::1`) and the listen
   * address; `'*'` accepts any. A request for another host is refused (403): a DNS-rebinding page asks
   * for its own name. @default none; when listening off loopback and none are given, any host
   */
  readonly allowedHosts?: readonly string[];
  /** The whole request (headers and body) must have arrived within this, in ms. @default 60000 */
  readonly requestTimeoutMs?: number;
  /** The request's headers must have arrived within this, in ms (an idle new connection too). @default 10000 */
  readonly headersTimeoutMs?: number;
  /** An idle kept-alive connection is closed after this, in ms. @default 5000 */
  readonly keepAliveTimeoutMs?: number;
  /** Largest body of a provider route, in bytes (images and long documents). @default 67108864 (64 MiB) */
  readonly bodyLimit?: number;
  /** Largest body of an admin route, in bytes. @default 65536 */
  readonly adminBodyLimit?: number;
  /** How long a shutdown waits for requests in flight (streams included), in ms. @default 30000 */
  readonly drainTimeoutMs?: number;
  /** Where the `keymux_*` metrics are registered. @default a new registry, with the process metrics */
  readonly registry?: Registry;
  /** Start-up banner, warnings, refused requests (at debug) and shutdown lines. @default none */
  readonly logger?: GatewayLogger;
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
  /** Host names accepted, lower case; `undefined`: any. */
  readonly allowedHosts: ReadonlySet<string> | undefined;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly bodyLimit: number;
  readonly adminBodyLimit: number;
  readonly drainTimeoutMs: number;
  readonly registry: Registry | undefined;
  readonly logger: GatewayLogger | undefined;
  readonly storeReason: (() => string | undefined) | undefined;
}

/** Shortest token accepted when the gateway listens off loopback: a guessable one is no guard. */
export const MIN_TOKEN_LENGTH = 16;

/** Whether a listen address only takes connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

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

function hostsAllowed(options: GatewayOptions, host: string): ReadonlySet<string> | undefined {
  const extra = (options.allowedHosts ?? []).map((name, i) => {
    if (typeof name !== 'string' || !/^(\*|\[?[A-Za-z0-9.:_-]+\]?)$/.test(name))
      throw new ConfigError(`allowedHosts[${i}]`, 'expected a host name or address, or *');
    return name.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  });
  if (extra.includes('*')) return undefined;
  // Off loopback, tokens guard every route; a Host list is then the operator's choice.
  if (!isLoopback(host) && extra.length === 0) return undefined;
  const names = new Set(['localhost', '127.0.0.1', '::1', ...extra]);
  if (!WILDCARDS.has(host)) names.add(host.toLowerCase());
  return names;
}

function offLoopbackToken(token: string, path: string, host: string): void {
  if (token.length < MIN_TOKEN_LENGTH)
    throw new ConfigError(
      path,
      `listening on ${host} (not loopback) needs tokens of at least ${MIN_TOKEN_LENGTH} characters, got ${token.length}`,
    );
}

/** Validates once; a gateway reachable from other machines needs both kinds of token, long ones. */
export function resolveGatewayOptions(options: GatewayOptions): ResolvedGatewayOptions {
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '')
    throw new ConfigError('host', 'expected a host name or address');
  const gatewayTokens = tokens(options.gatewayTokens);
  const adminToken = options.adminToken?.trim() || undefined;
  if (!isLoopback(host)) {
    if (gatewayTokens.length === 0)
      throw new ConfigError(
        'gatewayTokens',
        `listening on ${host} (not loopback) needs gateway tokens: set KEYMUX_GATEWAY_TOKENS`,
      );
    if (adminToken === undefined)
      throw new ConfigError(
        'adminToken',
        `listening on ${host} (not loopback) needs an admin token: set KEYMUX_ADMIN_TOKEN`,
      );
    for (const [i, token] of gatewayTokens.entries()) offLoopbackToken(token, `gatewayTokens[${i}]`, host);
    offLoopbackToken(adminToken, 'adminToken', host);
  }
  const headersTimeoutMs = wholeNumber(options.headersTimeoutMs ?? 10_000, 'headersTimeoutMs', 1, 3_600_000);
  const requestTimeoutMs = wholeNumber(options.requestTimeoutMs ?? 60_000, 'requestTimeoutMs', 1, 3_600_000);
  if (headersTimeoutMs > requestTimeoutMs)
    throw new ConfigError('headersTimeoutMs', `expected at most requestTimeoutMs (${requestTimeoutMs})`);
  return {
    port: wholeNumber(options.port ?? 8080, 'port', 0, 65_535),
    host,
    gatewayTokens,
    adminToken,
    allowedHosts: hostsAllowed(options, host),
    requestTimeoutMs,
    headersTimeoutMs,
    keepAliveTimeoutMs: wholeNumber(options.keepAliveTimeoutMs ?? 5_000, 'keepAliveTimeoutMs', 1, 3_600_000),
    bodyLimit: wholeNumber(options.bodyLimit ?? 64 * 1024 * 1024, 'bodyLimit', 1, 2 ** 31 - 1),
    adminBodyLimit: wholeNumber(options.adminBodyLimit ?? 64 * 1024, 'adminBodyLimit', 1, 2 ** 31 - 1),
    drainTimeoutMs: wholeNumber(options.drainTimeoutMs ?? 30_000, 'drainTimeoutMs', 0, 86_400_000),
    registry: options.registry,
    logger: options.logger,
    storeReason: options.storeReason,
  };
}
