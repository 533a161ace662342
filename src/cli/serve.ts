import type { Command } from 'commander';
import type { Logger } from '../config/options.js';
import { ConfigError } from '../core/errors.js';
import { startGateway } from '../serve/gateway.js';
import {
  type GatewayPool,
  loadGatewayMultiplexer,
  readGatewayCredentials,
  SERVE_HEALTH_CHECK_INTERVAL_MS,
} from '../serve/gateway-config.js';
import { createGatewayLogger } from '../serve/gateway-logger.js';
import { REDIS_OPTIONAL_HELP, startRedisOrFail } from './shared/redis-option.js';
import { exitTwoOnMisuse, oneOf, runAction, UsageError, wholeNumber } from './shared/usage-error.js';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

interface ServeFlags {
  port: number;
  host: string;
  config?: string;
  redis?: string;
  redisOptional: boolean;
  drainTimeout: number;
  healthCheckInterval?: number;
  allowedHost: string[];
  requestTimeout: number;
  headersTimeout: number;
  keepAliveTimeout: number;
  logLevel: (typeof LOG_LEVELS)[number];
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

async function serve(flags: ServeFlags): Promise<number> {
  const logger: Logger = createGatewayLogger({ level: flags.logLevel });
  const env = process.env;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let pool: GatewayPool;
  try {
    const credentials = await readGatewayCredentials(flags.config, env);
    pool = await loadGatewayMultiplexer(flags.config, env, {
      logger,
      redisUrl: flags.redis,
      healthCheckInterval: flags.healthCheckInterval,
    });
    const { mux } = pool;
    try {
      await startRedisOrFail(pool.store, flags.redisOptional, (line) =>
        logger.warn({ store: 'degraded' }, line),
      );
    } catch (error) {
      await pool.close();
      throw error;
    }
    if (mux.storeMode === 'redis')
      logger.info({ store: 'redis' }, 'keys shared with other replicas through Redis');
    if (mux.options.healthCheckInterval)
      logger.info({ healthCheckIntervalMs: mux.options.healthCheckInterval }, 'health checks on');
    try {
      gateway = await startGateway(mux, {
        port: flags.port,
        host: flags.host,
        drainTimeoutMs: flags.drainTimeout,
        allowedHosts: flags.allowedHost,
        requestTimeoutMs: flags.requestTimeout,
        headersTimeoutMs: flags.headersTimeout,
        keepAliveTimeoutMs: flags.keepAliveTimeout,
        ...credentials,
        logger,
        ...(pool.store ? { storeReason: () => pool.store?.reason } : {}),
      });
    } catch (error) {
      await pool.close();
      throw error;
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof SyntaxError)
      throw new UsageError(error.message, { cause: error });
    throw error;
  }
  const signal = await untilSignal();
  logger.info({ signal, drainTimeoutMs: flags.drainTimeout }, 'keymux gateway draining');
  await gateway.close();
  await pool.close();
  logger.info({}, 'keymux gateway stopped');
  return 0;
}

/** Adds `keymux serve` to the program. */
export function registerServeCommand(program: Command): Command {
  const command = program
    .command('serve')
    .description(
      'Run the gateway: OpenAI-, Groq-, Anthropic- and Gemini-compatible routes over the key pool, an admin API, ' +
        'Prometheus /metrics and a live dashboard at /. Keys come from --config or the environment; clients ' +
        'authenticate with KEYMUX_GATEWAY_TOKENS, the admin API with KEYMUX_ADMIN_TOKEN.',
    )
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', wholeNumber(0, 65535), 8080)
    .option('--host <host>', 'interface to listen on (not loopback: needs both kinds of token)', '127.0.0.1')
    .option(
      '-c, --config <file>',
      'keymux config file, JSON or YAML (the shape of Multiplexer.fromConfig, optional "gateway" section)',
    )
    .option(
      '--redis <url>',
      'share each key’s limits and cooldowns with other replicas through Redis (or KEYMUX_REDIS_URL; needs the redis or ioredis package)',
    )
    .option('--redis-optional', REDIS_OPTIONAL_HELP, false)
    .option(
      '--health-check-interval <ms>',
      `check keys held out, and idle ones, every <ms> (0: never; default ${SERVE_HEALTH_CHECK_INTERVAL_MS}, or KEYMUX_HEALTH_CHECK_INTERVAL)`,
      wholeNumber(0),
    )
    .option(
      '--allowed-host <name>',
      'also accept requests whose Host is <name> (repeatable; * accepts any); loopback names always are',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option(
      '--request-timeout <ms>',
      'a request’s headers and body must have arrived within <ms>',
      wholeNumber(1),
      60_000,
    )
    .option(
      '--headers-timeout <ms>',
      'a request’s headers must have arrived within <ms>',
      wholeNumber(1),
      10_000,
    )
    .option(
      '--keep-alive-timeout <ms>',
      'close an idle kept-alive connection after <ms>',
      wholeNumber(1),
      5_000,
    )
    .option(
      '--log-level <level>',
      `log from this level up (${LOG_LEVELS.join(', ')})`,
      oneOf(LOG_LEVELS),
      'info',
    )
    .option(
      '--drain-timeout <ms>',
      'on SIGTERM, how long requests in flight may take to finish',
      wholeNumber(0),
      30_000,
    )
    .action((flags: ServeFlags) => runAction('serve', () => serve(flags)));
  return exitTwoOnMisuse(command);
}
