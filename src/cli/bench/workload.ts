import { seededRandom } from '../../emulator/random.js';
/** One chat completion of the benchmark. */
export interface BenchJob {
  /** Sent as `x-keymux-job-id`, so the emulator's ledger can tell jobs apart. */
  readonly id: string;
  readonly size: JobSize;
  readonly prompt: string;
  readonly maxTokens: number;
}

export type JobSize = 'xs' | 's' | 'm';

/**
 * Sizes in tokens (about four characters each). Each stays under 100 tokens, prompt and answer together:
 * at the default 600 rpm and 60 000 tpm a request may use 100 tokens before tokens rather than requests
 * bind, so the mix exercises both limits without one large request stalling a key for several slots.
 */
const SIZES: Record<
  JobSize,
  { readonly promptTokens: number; readonly maxTokens: number; readonly share: number }
> = {
  xs: { promptTokens: 10, maxTokens: 16, share: 0.5 },
  s: { promptTokens: 25, maxTokens: 32, share: 0.3 },
  m: { promptTokens: 38, maxTokens: 48, share: 0.2 },
};

const WORDS = [
  'keys',
  'many',
  'one',
  'pace',
  'limit',
  'token',
  'queue',
  'model',
  'reply',
  'fast',
  'load',
  'mux',
];

/** `count` jobs of mixed sizes, deterministic for a seed. */
export function buildWorkload(count: number, seed = 1): BenchJob[] {
  const random = seededRandom(seed);
  const jobs: BenchJob[] = [];
  for (let i = 0; i < count; i++) {
    const size = pickSize(random());
    const spec = SIZES[size];
    jobs.push({
      id: `bench-${seed}-${i}`,
      size,
      prompt: words(spec.promptTokens * 4, random),
      maxTokens: spec.maxTokens,
    });
  }
  return jobs;
}

/** Chat framing a provider counts on top of the prompt text: the role and the reply priming. */
const CHAT_OVERHEAD_TOKENS = 4;

/** Tokens a job may use by the usual client-side estimate: prompt characters / 4, framing, max output. */
export function estimateJobTokens(job: BenchJob): number {
  return Math.ceil(job.prompt.length / 4) + CHAT_OVERHEAD_TOKENS + job.maxTokens;
}

export function meanEstimatedTokens(jobs: readonly BenchJob[]): number {
  if (jobs.length === 0) return 0;
  return jobs.reduce((sum, job) => sum + estimateJobTokens(job), 0) / jobs.length;
}

function pickSize(r: number): JobSize {
  let acc = 0;
  for (const size of Object.keys(SIZES) as JobSize[]) {
    acc += SIZES[size].share;
    if (r < acc) return size;
  }
  return 'm';
}

function words(chars: number, random: () => number): string {
  let text = '';
  while (text.length < chars) text += `${WORDS[Math.floor(random() * WORDS.length)] ?? 'mux'} `;
  return text.slice(0, chars).trimEnd();
}
