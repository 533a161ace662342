import { isRec, type Rec, type TextAnswer, type TextChat, tokens, Untranslatable } from './chat.js';
import type { AnswerPiece } from './openai-chat.js';

/** Anthropic requires an output cap; OpenAI's requests often leave it to the model. */
export const DEFAULT_MAX_TOKENS = 4096;

/** A text chat as an Anthropic Messages request. Anthropic's temperature stops at 1. */
export function anthropicRequest(chat: TextChat): Rec {
  if (chat.temperature !== undefined && chat.temperature > 1) throw new Untranslatable('temperature');
  return {
    model: chat.model,
    max_tokens: chat.maxTokens ?? DEFAULT_MAX_TOKENS,
    messages: chat.turns.map((t) => ({ role: t.role, content: t.text })),
    ...(chat.system === undefined ? {} : { system: chat.system }),
    ...(chat.temperature === undefined ? {} : { temperature: chat.temperature }),
    ...(chat.topP === undefined ? {} : { top_p: chat.topP }),
    ...(chat.stop.length === 0 ? {} : { stop_sequences: chat.stop }),
    ...(chat.stream ? { stream: true } : {}),
  };
}

const FINISH: Readonly<Record<string, TextAnswer['finish']>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  refusal: 'content_filter',
};

function finishOf(stopReason: unknown): TextAnswer['finish'] {
  return (typeof stopReason === 'string' ? FINISH[stopReason] : undefined) ?? 'stop';
}

/** An Anthropic Message as a text answer. */
export function anthropicAnswer(message: unknown): TextAnswer {
  const m = isRec(message) ? message : {};
  const blocks = Array.isArray(m.content) ? m.content : [];
  const text = blocks
    .map((b: unknown) => (isRec(b) && b.type === 'text' && typeof b.text === 'string' ? b.text : ''))
    .join('');
  return {
    id: String(m.id ?? ''),
    model: String(m.model ?? ''),
    text,
    finish: finishOf(m.stop_reason),
    inputTokens: tokens(m.usage, 'input_tokens'),
    outputTokens: tokens(m.usage, 'output_tokens'),
  };
}

/** Anthropic's stream events as answer pieces (text deltas, the stop reason, the usage at the end). */
export async function* anthropicPieces(
  events: AsyncIterable<unknown>,
): AsyncGenerator<AnswerPiece, void, undefined> {
  let inputTokens = 0;
  let outputTokens = 0;
  for await (const event of events) {
    if (!isRec(event)) continue;
    if (event.type === 'message_start' && isRec(event.message)) {
      inputTokens = tokens(event.message.usage, 'input_tokens');
      yield { kind: 'start', id: String(event.message.id ?? ''), model: String(event.message.model ?? '') };
    } else if (
      event.type === 'content_block_delta' &&
      isRec(event.delta) &&
      event.delta.type === 'text_delta'
    ) {
      yield { kind: 'text', text: String(event.delta.text ?? '') };
    } else if (event.type === 'message_delta') {
      outputTokens = tokens(event.usage, 'output_tokens');
      if (isRec(event.delta)) yield { kind: 'finish', finish: finishOf(event.delta.stop_reason) };
    }
  }
  yield { kind: 'usage', inputTokens, outputTokens };
}
