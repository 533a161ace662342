/**
 * The providers' Batch APIs, through the key's own SDK client (the `openai` and `@anthropic-ai/sdk`
 * packages): submit lines, read a batch's state, read its results per custom_id.
 *
 * OpenAI (platform.openai.com/docs/guides/batch; openai-node src/resources/batches.ts, files.ts): a JSONL
 * file `{ custom_id, method: 'POST', url, body }` uploaded with `purpose: 'batch'`, then
 * `batches.create({ input_file_id, endpoint, completion_window: '24h' })`; at most 50 000 requests and
 * 200 MB per file. Terminal statuses: completed, expired, cancelled, failed; answers in `output_file_id`,
 * failed and expired lines in `error_file_id` (`response.status_code`, `response.body`, `error.code`).
 * Anthropic (platform.claude.com/docs/en/api/messages/batches; @anthropic-ai/sdk messages/batches.ts):
 * `messages.batches.create({ requests: [{ custom_id, params }] })`, at most 100 000 requests or 256 MB;
 * `processing_status: 'ended'`, then `results()` streams `{ custom_id, result: { type, message } }`.
 */

export type BatchProvider = 'openai' | 'anthropic';

export interface BatchLimits {
  readonly maxRequests: number;
  readonly maxBytes: number;
}

export const PROVIDER_LIMITS: Readonly<Record<BatchProvider, BatchLimits>> = {
  openai: { maxRequests: 50_000, maxBytes: 200 * 1024 * 1024 },
  anthropic: { maxRequests: 100_000, maxBytes: 256 * 1024 * 1024 },
};

export interface WireLine {
  readonly customId: string;
  readonly body: Readonly<Record<string, unknown>>;
}

/** One line's outcome: the response body a synchronous call returns, or a reason to send it again. */
export type LineOutcome =
  | { readonly ok: true; readonly body: unknown }
  | { readonly ok: false; readonly reason: string };

export type BatchState = 'running' | 'ended';

/** The bytes a line takes in the provider's request (what counts toward the size limit). */
export function lineBytes(provider: BatchProvider, line: WireLine): number {
  return Buffer.byteLength(JSON.stringify(wireLine(provider, line))) + 1;
}

function wireLine(provider: BatchProvider, line: WireLine): unknown {
  return provider === 'openai'
    ? { custom_id: line.customId, method: 'POST', url: '/v1/chat/completions', body: line.body }
    : { custom_id: line.customId, params: line.body };
}

interface OpenAIBatchClient {
  files: {
    create(p: { file: File; purpose: 'batch' }): Promise<{ id: string }>;
    content(id: string): Promise<{ text(): Promise<string> }>;
  };
  batches: {
    create(p: { input_file_id: string; endpoint: string; completion_window: '24h' }): Promise<{ id: string }>;
    retrieve(
      id: string,
    ): Promise<{ status: string; output_file_id?: string | null; error_file_id?: string | null }>;
    cancel(id: string): Promise<unknown>;
  };
}

interface AnthropicBatchClient {
  messages: {
    batches: {
      create(p: { requests: unknown[] }): Promise<{ id: string }>;
      retrieve(id: string): Promise<{ processing_status: string }>;
      cancel(id: string): Promise<unknown>;
      results(
        id: string,
      ): Promise<
        AsyncIterable<{ custom_id: string; result: { type: string; message?: unknown; error?: unknown } }>
      >;
    };
  };
}

/** Submits the lines as one batch; resolves with its id. */
export async function submitBatch(
  provider: BatchProvider,
  client: unknown,
  lines: readonly WireLine[],
): Promise<string> {
  if (provider === 'openai') {
    const sdk = client as OpenAIBatchClient;
    const text = `${lines.map((l) => JSON.stringify(wireLine(provider, l))).join('\n')}\n`;
    const file = await sdk.files.create({
      file: new File([text], 'keymux-offload.jsonl', { type: 'application/jsonl' }),
      purpose: 'batch',
    });
    const batch = await sdk.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    return batch.id;
  }
  const sdk = client as AnthropicBatchClient;
  const batch = await sdk.messages.batches.create({ requests: lines.map((l) => wireLine(provider, l)) });
  return batch.id;
}

const OPENAI_ENDED = new Set(['completed', 'expired', 'cancelled', 'failed']);

/** Whether the batch has ended (its results can be read). */
export async function batchState(provider: BatchProvider, client: unknown, id: string): Promise<BatchState> {
  if (provider === 'openai') {
    const batch = await (client as OpenAIBatchClient).batches.retrieve(id);
    return OPENAI_ENDED.has(batch.status) ? 'ended' : 'running';
  }
  const batch = await (client as AnthropicBatchClient).messages.batches.retrieve(id);
  return batch.processing_status === 'ended' ? 'ended' : 'running';
}

/** Asks the provider to stop the batch (every line was served otherwise); failures are ignored. */
export async function cancelBatch(provider: BatchProvider, client: unknown, id: string): Promise<void> {
  const cancel =
    provider === 'openai'
      ? (client as OpenAIBatchClient).batches.cancel(id)
      : (client as AnthropicBatchClient).messages.batches.cancel(id);
  await cancel.then(
    () => undefined,
    () => undefined,
  );
}

/** An ended batch's outcome per custom_id; a line the provider did not answer is absent. */
export async function batchResults(
  provider: BatchProvider,
  client: unknown,
  id: string,
): Promise<Map<string, LineOutcome>> {
  const out = new Map<string, LineOutcome>();
  if (provider === 'openai') {
    const sdk = client as OpenAIBatchClient;
    const batch = await sdk.batches.retrieve(id);
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (!fileId) continue;
      const text = await (await sdk.files.content(fileId)).text();
      for (const raw of text.split('\n')) {
        if (raw.trim() === '') continue;
        const line = JSON.parse(raw) as {
          custom_id: string;
          response?: { status_code: number; body: unknown } | null;
          error?: { code?: string } | null;
        };
        const status = line.response?.status_code;
        out.set(
          line.custom_id,
          status === 200
            ? { ok: true, body: line.response?.body }
            : { ok: false, reason: line.error?.code ?? `status ${status ?? 'none'}` },
        );
      }
    }
    return out;
  }
  const sdk = client as AnthropicBatchClient;
  for await (const line of await sdk.messages.batches.results(id)) {
    out.set(
      line.custom_id,
      line.result.type === 'succeeded'
        ? { ok: true, body: line.result.message }
        : { ok: false, reason: line.result.type },
    );
  }
  return out;
}
