import { createParser } from 'eventsource-parser';
import { opensOnly } from '../clients/streams/stream-start.js';
import { EmptyStreamError } from '../clients/streams/stream-timeout-error.js';
import { isRecord } from '../providers/wire-values.js';
import { UpstreamHttpError } from './upstream-error.js';

/** A stream's body as the relay and the translations read it: its chunks, and a way to stop it. */
export interface StreamBody extends AsyncIterable<Uint8Array> {
  destroy(error?: Error): void;
}

/** What Anthropic's error types are as HTTP statuses, for an error event sent before any content. */
const ANTHROPIC_STATUS: Readonly<Record<string, number>> = {
  overloaded_error: 529,
  rate_limit_error: 429,
  api_error: 500,
};

/**
 * A provider's error event in a stream (Anthropic's `event: error`, OpenAI's `data: {"error": …}`,
 * Google's error object), as the error its HTTP answer would have been: so a stream that fails before
 * its first content is classified, and falls over, like a failed call.
 */
function errorOfEvent(event: unknown): UpstreamHttpError | undefined {
  if (!isRecord(event) || !isRecord(event.error)) return undefined;
  if (event.type !== 'error' && ('choices' in event || 'candidates' in event)) return undefined;
  const { code, type } = event.error;
  const status =
    typeof code === 'number' && code >= 400 && code <= 599
      ? code
      : ((typeof type === 'string' ? ANTHROPIC_STATUS[type] : undefined) ?? 500);
  return new UpstreamHttpError(status, new Headers(), event);
}

function parsed(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data; // OpenAI's `[DONE]`: the end, which counts as content (nothing is held after it).
  }
}

/**
 * Reads an SSE answer up to its first event with content, holding back the events that only open it
 * (the wrapped clients' `opensOnly`: OpenAI's role delta, Anthropic's `message_start`, `ping` and empty
 * block start, Gemini's chunks with no text). A failure before that point — the upstream cut, stalled
 * (`streamIdleTimeoutMs`), ended without content, or sent an error event — is thrown, so the job's
 * attempt fails and goes to another key or model with nothing sent to the client yet. Returns the body
 * again, the bytes read so far first: the relay sends them when it starts.
 */
export async function readStreamHead(body: StreamBody): Promise<StreamBody> {
  const iterator = body[Symbol.asyncIterator]();
  const held: Uint8Array[] = [];
  let content = false;
  let failure: Error | undefined;
  const parser = createParser({
    onEvent: (event) => {
      if (content || failure !== undefined) return;
      const data = parsed(event.data);
      failure = errorOfEvent(data);
      if (failure === undefined && !opensOnly(data)) content = true;
    },
  });
  const decoder = new TextDecoder();
  try {
    while (!content) {
      const next = await iterator.next();
      if (next.done) throw new EmptyStreamError();
      held.push(next.value);
      parser.feed(decoder.decode(next.value, { stream: true }));
      if (failure !== undefined) throw failure;
    }
  } catch (error) {
    body.destroy();
    throw error;
  }
  return replayed(held, iterator, body);
}

function replayed(
  held: readonly Uint8Array[],
  rest: AsyncIterator<Uint8Array>,
  body: StreamBody,
): StreamBody {
  return {
    async *[Symbol.asyncIterator]() {
      yield* held;
      for (;;) {
        const next = await rest.next();
        if (next.done) return;
        yield next.value;
      }
    },
    destroy: (error) => body.destroy(error),
  };
}
