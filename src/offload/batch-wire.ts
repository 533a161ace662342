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

/** A retried submission whose first create may or may not have made a batch, with no way to tell. */
export class SubmitUnknownError extends Error {
  override readonly name = 'SubmitUnknownError';
  constructor() {
    super('a batch create was sent and its answer lost; its lines go synchronously');
  }
}

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
    create(p: {
      input_file_id: string;
      endpoint: string;
      completion_window: '24h';
      metadata: Record<string, string>;
    }): Promise<{ id: string }>;
    list(q: { limit: number }): Promise<{ data: { id: string; metadata?: unknown }[] }>;
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

/** One submission of lines, across the dispatcher's attempts: whether and on which key its create went. */
export interface Submission {
  readonly id: string;
  createSent: boolean;
  key: string | undefined;
}

/** The batch an OpenAI create tagged `keymux_submission: id` made, if the key's recent batches hold it. */
export async function findSubmitted(
  provider: BatchProvider,
  client: unknown,
  id: string,
): Promise<string | undefined> {
  if (provider !== 'openai') return undefined;
  const page = await (client as OpenAIBatchClient).batches.list({ limit: 100 });
  return page.data.find(
    (b) => (b.metadata as Record<string, unknown> | null | undefined)?.keymux_submission === id,
  )?.id;
}

/**
 * Submits the lines as one batch; resolves with its id. `submission` names this submission: an attempt
 * retried after its create was sent finds the batch that create made (OpenAI: by its metadata) rather
 * than creating a second one; where it cannot (Anthropic's batches carry no metadata), it throws
 * `SubmitUnknownError` and the lines go synchronously.
 */
export async function submitBatch(
  provider: BatchProvider,
  client: unknown,
  lines: readonly WireLine[],
  submission: Submission,
  key: string,
): Promise<string> {
  if (provider === 'openai') {
    const sdk = client as OpenAIBatchClient;
    if (submission.createSent) {
      // A retry on the key whose create was sent: that create's batch, if it made one.
      if (submission.key !== key) throw new SubmitUnknownError();
      const made = await findSubmitted(provider, client, submission.id);
      if (made !== undefined) return made;
    }
    const text = `${lines.map((l) => JSON.stringify(wireLine(provider, l))).join('\n')}\n`;
    const file = await sdk.files.create({
      file: new File([text], 'keymux-offload.jsonl', { type: 'application/jsonl' }),
      purpose: 'batch',
    });
    submission.createSent = true;
    submission.key = key;
    const batch = await sdk.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { keymux_submission: submission.id },
    });
    return batch.id;
  }
  const sdk = client as AnthropicBatchClient;
  if (submission.createSent) throw new SubmitUnknownError();
  submission.createSent = true;
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
