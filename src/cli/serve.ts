import type { Command } from 'commander';
import type { Logger } from '../config/options.js';
import { ConfigError } from '../core/errors.js';
import { startGateway } from '../serve/gateway.js';
import { loadGatewayMultiplexer, readGatewayCredentials } from '../serve/gateway-config.js';
import { exitTwoOnMisuse, runAction, UsageError, wholeNumber } from './shared/usage-error.js';

interface ServeFlags {
  port: number;
  host: string;
  config?: string;
  redis?: string;
  drainTimeout: number;
}

/** One line per message on stderr; events carry key names and masked labels only. */
function stderrLogger(): Logger {
  const line =
    (level: string) =>
    (obj: object, msg?: string): void => {
      process.stderr.write(`${JSON.stringify({ level, msg, ...obj })}\n`);
    };
  return { debug: () => undefined, info: line('info'), warn: line('warn'), error: line('error') };
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
  if (flags.redis !== undefined)
    throw new UsageError(
      '--redis needs the shared Redis store, which this build of keymux does not include yet',
    );
  const logger = stderrLogger();
  const env = process.env;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let mux: Awaited<ReturnType<typeof loadGatewayMultiplexer>>;
  try {
    const credentials = await readGatewayCredentials(flags.config, env);
    mux = await loadGatewayMultiplexer(flags.config, env, logger);
    try {
      gateway = await startGateway(mux, {
        port: flags.port,
        host: flags.host,
        drainTimeoutMs: flags.drainTimeout,
        ...credentials,
        logger,
      });
    } catch (error) {
      await mux.close();
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
  await mux.close();
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
    .option('-c, --config <file>', 'keymux JSON config file (seed 004 shape, optional "gateway" section)')
    .option('--redis <url>', 'share the pool with other replicas through Redis')
    .option(
      '--drain-timeout <ms>',
      'on SIGTERM, how long requests in flight may take to finish',
      wholeNumber(0),
      30_000,
    )
    .action((flags: ServeFlags) => runAction('serve', () => serve(flags)));
  return exitTwoOnMisuse(command);
}
