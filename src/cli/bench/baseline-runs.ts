import type { TokenUsage } from '../../core/events.js';
import type { StopReason } from './bench-result.js';
import type { BenchTarget } from './bench-target.js';
import { driveWorkload } from './drive-workload.js';
import type { ProviderKit } from './kits/provider-kit.js';
import { observingFetch, type RequestCap } from './request-cap.js';
import type { RunRecorder } from './run-recorder.js';
import type { BenchJob } from './workload.js';

export interface RunInput {
  readonly kit: ProviderKit;
  readonly target: BenchTarget;
  readonly jobs: readonly BenchJob[];
  readonly concurrency: number;
  readonly budgetMs?: number;
  readonly maxJobs?: number;
  readonly cap: RequestCap;
  readonly signal: AbortSignal;
  readonly recorder: RunRecorder;
}

/** (a) One key, one SDK client, the SDK's own retries and backoff: what a single-key program gets. */
export function runSingleKey(input: RunInput): Promise<StopReason> {
  const key = input.target.keys[0];
  if (!key) throw new Error('no key to run with');
  const client = clientFor(input, key.name, key.apiKey);
  return driveWorkload(
    {
      ...input,
      run: async (job, signal) => ({ key: key.name, usage: await callJob(input, client, job, signal) }),
    },
    input.recorder,
  );
}

/** (b) The rotation most users write: one SDK client per key, taken in turn, the SDK's retries on. */
export function runNaiveRotation(input: RunInput): Promise<StopReason> {
  const clients = input.target.keys.map((k) => ({
    name: k.name,
    client: clientFor(input, k.name, k.apiKey),
  }));
  let turn = 0;
  return driveWorkload(
    {
      ...input,
      run: async (job, signal) => {
        const { name, client } = clients[turn++ % clients.length]!;
        return { key: name, usage: await callJob(input, client, job, signal) };
      },
    },
    input.recorder,
  );
}

function clientFor(input: RunInput, name: string, apiKey: string): unknown {
  const fetch = observingFetch(name, input.cap, (key, status) => input.recorder.attempt(key, status));
  return input.kit.createClient({ apiKey, baseURL: input.target.baseURL, fetch });
}

async function callJob(
  input: RunInput,
  client: unknown,
  job: BenchJob,
  signal: AbortSignal,
): Promise<TokenUsage | undefined> {
  if (!input.kit.observesFetch && !input.cap.take()) throw new Error('request cap reached');
  return input.kit.call(client, job, { headers: { 'x-keymux-job-id': job.id }, signal });
}
