import { type Command, InvalidArgumentError } from 'commander';
import ms from 'ms';
import { STRATEGIES, type Strategy } from '../config/options.js';
import { runBatch } from './batch/run-batch.js';
import { keyEnvVars } from './shared/key-env.js';
import { REDIS_OPTIONAL_HELP } from './shared/redis-option.js';
import { exitTwoOnMisuse, runAction, strategyArgument, wholeNumber } from './shared/usage-error.js';

interface RawBatchFlags {
  output: string;
  concurrency?: number;
  strategy?: Strategy;
  maxRequests?: number;
  dryRun: boolean;
  config?: string;
  redis?: string;
  redisOptional: boolean;
  progress: boolean;
  offload: boolean;
  deadline: number;
  offloadMaxWait: number;
  offloadPoll: number;
}

/** A duration flag (`90s`, `5m`, `24h`, or ms) as ms. */
function duration(value: string): number {
  const parsed = /^\d+$/.test(value)
    ? Number(value)
    : (ms(value.trim() as ms.StringValue) as number | undefined);
  if (parsed === undefined || !(parsed > 0))
    throw new InvalidArgumentError(`expected a duration such as 90s, 5m or 24h, got ${value}`);
  return parsed;
}

/** `keymux batch`: an OpenAI Batch API file, run through keymux, resumable. */
export function registerBatchCommand(program: Command): Command {
  const command = program
    .command('batch')
    .description(
      'Run an OpenAI Batch API input file (JSONL) through keymux and write the Batch API output format, ' +
        'appending as results arrive. Run it again with the same --output to resume. Keys come from ' +
        `--config or the environment (${keyEnvVars('openai').join(', ')}; OPENAI_BASE_URL is honoured). ` +
        'The output file is created readable by you only (0600): it holds model output. Exit codes: ' +
        '0 every line answered; 3 some lines failed (an error line or an HTTP error status in the output); ' +
        '2 misuse or bad configuration, or Redis unreachable at start (nothing sent); 1 an unexpected error; 130 interrupted.',
    )
    .argument('<input>', 'input JSONL file, one {"custom_id","method","url","body"} per line')
    .requiredOption('-o, --output <path>', 'output JSONL file (appended; existing custom_ids are skipped)')
    .option(
      '--concurrency <n>',
      'lines in flight at once (default: keys × per-key concurrency)',
      wholeNumber(1, 10_000),
    )
    .option('--strategy <name>', `key strategy (${STRATEGIES.join(', ')})`, strategyArgument)
    .option(
      '--max-requests <n>',
      'send at most this many lines in this run; the rest wait for the next',
      wholeNumber(1),
    )
    .option('--dry-run', 'validate the file and estimate tokens; send nothing', false)
    .option('--config <path>', 'keymux config file (JSON, or YAML as .yaml/.yml) instead of the environment')
    .option(
      '--redis <url>',
      "share the keys' state with other processes through this Redis (KEYMUX_REDIS_URL)",
    )
    .option('--redis-optional', REDIS_OPTIONAL_HELP, false)
    .option('--no-progress', 'no progress bar (it only shows on a terminal anyway)')
    .option(
      '--offload',
      "send the lines through the provider's Batch API at batch prices (docs/batch-offload.md); failed, " +
        'expired or late lines are sent synchronously; a resumed run collects the open batches',
      false,
    )
    .option('--deadline <duration>', 'with --offload: every line answered within this', duration, 86_400_000)
    .option(
      '--offload-max-wait <duration>',
      'with --offload: how long lines gather before a batch is submitted',
      duration,
      300_000,
    )
    .option(
      '--offload-poll <duration>',
      'with --offload: the first wait between looks at a batch (it doubles)',
      duration,
      30_000,
    )
    .action(async (input: string, raw: RawBatchFlags) => {
      await runAction('batch', async () => {
        const stop = new AbortController();
        // First Ctrl-C: finish what was sent and write it. Second: leave at once (those lines may be resent).
        const onSigint = (): void => {
          if (stop.signal.aborted) process.exit(130);
          process.stderr.write(
            '\nstopping: finishing the requests already sent (Ctrl-C again to quit now)\n',
          );
          stop.abort(new Error('interrupted'));
        };
        process.on('SIGINT', onSigint);
        try {
          return await runBatch(
            {
              input,
              output: raw.output,
              concurrency: raw.concurrency,
              strategy: raw.strategy,
              maxRequests: raw.maxRequests,
              dryRun: raw.dryRun,
              config: raw.config,
              progress: raw.progress && process.stdout.isTTY === true,
              redisOptional: raw.redisOptional,
              ...(raw.offload && {
                offload: {
                  deadlineMs: raw.deadline,
                  maxWaitMs: raw.offloadMaxWait,
                  firstPollMs: raw.offloadPoll,
                },
              }),
            },
            raw.redis === undefined ? process.env : { ...process.env, KEYMUX_REDIS_URL: raw.redis },
            stop.signal,
          );
        } finally {
          process.off('SIGINT', onSigint);
        }
      });
    });
  return exitTwoOnMisuse(command);
}
