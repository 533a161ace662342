import type { Command } from 'commander';
import { redisStoreFromUrl } from '../../store/redis-from-url.js';
import { runAction } from '../shared/usage-error.js';
import { runKeymux } from './keymux-run.js';
import { loadKit } from './kits/load-kit.js';
import {
  type ChildMessage,
  type ParentMessage,
  PROCESS_COMMAND,
  type ProcessOrder,
} from './process-messages.js';
import { RequestCap } from './request-cap.js';
import { RunRecorder } from './run-recorder.js';

/**
 * One of the OS processes of `keymux bench --processes N`, forked by the bench with an IPC channel: it
 * takes its share of the workload, says when it is ready, starts on `go` with the others, and reports
 * its record. Hidden: not for users to call.
 */
export function registerBenchProcessCommand(program: Command): Command {
  return program
    .command(PROCESS_COMMAND, { hidden: true })
    .description('one process of `keymux bench --processes` (internal; talks to its parent over IPC)')
    .action(async () => {
      await runAction(PROCESS_COMMAND, async () => {
        if (!process.send) throw new Error('runs only as a child of `keymux bench --processes`');
        await runProcess(await nextMessage('order'));
        return 0;
      });
    });
}

async function runProcess(order: ProcessOrder): Promise<void> {
  const kit = await loadKit(order.provider);
  const started = nextMessage('go');
  await send({ type: 'ready' });
  await started;
  // Made on `go`, as a process that starts with its jobs does: they are queued before Redis first answers.
  const store = order.redis
    ? redisStoreFromUrl(order.redis.url, {
        prefix: order.redis.prefix,
        processes: order.redis.processes,
        processIndex: order.index,
      })
    : undefined;
  const recorder = new RunRecorder();
  const controller = new AbortController();
  // The parent going away (Ctrl-C, a crash) stops this process's run too.
  process.once('disconnect', () => controller.abort());
  try {
    const stoppedBy = await runKeymux({
      kit,
      target: {
        kind: 'emulator',
        baseURL: order.baseURL,
        keys: order.keys,
        ledger: undefined,
        close: async () => {},
      },
      jobs: order.jobs,
      concurrency: order.concurrency,
      budgetMs: order.budgetMs,
      cap: new RequestCap(),
      signal: controller.signal,
      recorder,
      strategy: order.strategy,
      limits: order.limits,
      maxConcurrentPerKey: order.maxConcurrentPerKey,
      store,
    });
    await send({
      type: 'report',
      index: order.index,
      stoppedBy,
      startedAt: recorder.startedAt,
      endedAt: recorder.endedAt,
      jobs: recorder.jobs,
      storeEvents: recorder.storeEvents,
      slots: [...recorder.slots],
      redisRoundTrips: store?.roundTrips ?? 0,
    });
  } finally {
    store?.close();
  }
  process.disconnect();
}

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send?.(message, undefined, undefined, (error) => (error ? reject(error) : resolve()));
  });
}

function nextMessage<T extends ParentMessage['type']>(type: T): Promise<Extract<ParentMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: ParentMessage): void => {
      if (message.type !== type) return;
      process.off('message', onMessage);
      process.off('disconnect', onGone);
      resolve(message as Extract<ParentMessage, { type: T }>);
    };
    const onGone = (): void => {
      process.off('message', onMessage);
      reject(new Error('the bench went away'));
    };
    process.on('message', onMessage);
    process.once('disconnect', onGone);
  });
}
