import type { TokenUsage } from '../core/events.js';
import { anthropicBuckets } from '../providers/anthropic.js';
import { readGeminiUsage } from '../providers/gemini.js';
import { openAIBuckets } from '../providers/openai.js';

type Rec = Record<string, unknown>;

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function usageRecord(event: Rec): Rec | undefined {
  for (const holder of [event, event.message, event.response]) {
    const usage = (holder as Rec | undefined)?.usage;
    if (usage !== null && typeof usage === 'object') return usage as Rec;
  }
  return undefined;
}

/**
 * Usage of one parsed response or stream event, in any of the formats the gateway relays: OpenAI's
 * `usage` (chat, completions, embeddings), Responses' and Anthropic's `input_tokens`/`output_tokens`
 * (Anthropic's `message_start` and `message_delta` each carry part), Gemini's `usageMetadata`.
 */
export function usageOfEvent(event: unknown): Partial<TokenUsage> | undefined {
  if (event === null || typeof event !== 'object') return undefined;
  const gemini = readGeminiUsage(event);
  if (gemini) return gemini;
  const usage = usageRecord(event as Rec);
  if (!usage) return undefined;
  const input = count(usage.prompt_tokens) ?? count(usage.input_tokens);
  const output = count(usage.completion_tokens) ?? count(usage.output_tokens);
  if (input === undefined && output === undefined) return undefined;
  // Chat Completions and Responses count cached tokens inside the prompt; Anthropic apart from it.
  const buckets =
    usage.prompt_tokens !== undefined || usage.input_tokens_details !== undefined
      ? openAIBuckets(usage)
      : anthropicBuckets(usage);
  return {
    ...(input === undefined ? {} : { inputTokens: input }),
    ...(output === undefined ? {} : { outputTokens: output }),
    ...(buckets === undefined ? {} : { buckets }),
  };
}

/** Where an event keeps its usage record: `usage` (OpenAI, Anthropic, Responses) or Gemini's `usageMetadata`. */
function usageHolder(
  event: Rec,
): { readonly field: 'usage' | 'usageMetadata'; readonly record: Rec } | undefined {
  for (const holder of [event, event.response]) {
    const metadata = (holder as Rec | undefined)?.usageMetadata;
    if (metadata !== null && typeof metadata === 'object')
      return { field: 'usageMetadata', record: metadata as Rec };
  }
  const record = usageRecord(event);
  return record && { field: 'usage', record };
}

/**
 * Watches an SSE byte stream for usage without holding it up: only `data:` lines that mention usage
 * are parsed. Each provider's counts are cumulative, and an event may carry only some of them
 * (Anthropic's `message_start` has the prompt and its cache reads and writes, its `message_delta` the
 * output): the usage records are merged field by field, the latest value of each winning, and read as
 * one at the end, so the cost buckets (cache reads, cache writes) survive the stream.
 */
export class SseUsage {
  #partial = '';
  #field: 'usage' | 'usageMetadata' | undefined;
  #merged: Rec = {};
  readonly #decoder = new TextDecoder();

  push(chunk: Uint8Array): void {
    const text = this.#partial + this.#decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('data:') && /usage/i.test(line)) this.#read(line.slice(5));
  }

  #read(data: string): void {
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      return;
    }
    if (event === null || typeof event !== 'object') return;
    const holder = usageHolder(event as Rec);
    if (!holder || usageOfEvent({ [holder.field]: holder.record }) === undefined) return;
    this.#field = holder.field;
    for (const [name, value] of Object.entries(holder.record)) {
      if (value !== null && value !== undefined) this.#merged[name] = value;
    }
  }

  get usage(): TokenUsage | undefined {
    if (this.#field === undefined) return undefined;
    const usage = usageOfEvent({ [this.#field]: this.#merged });
    if (usage === undefined) return undefined;
    return { ...usage, inputTokens: usage.inputTokens ?? 0, outputTokens: usage.outputTokens ?? 0 };
  }
}
