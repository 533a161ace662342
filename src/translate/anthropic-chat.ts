import {
  isRec,
  onlyFields,
  optionalNumber,
  type Rec,
  type TextAnswer,
  type TextChat,
  textOf,
  Untranslatable,
} from './chat.js';
import type { AnswerPiece } from './openai-chat.js';

const CARRIED = new Set([
  'model',
  'messages',
  'system',
  'max_tokens',
  'temperature',
  'top_p',
  'stop_sequences',
  'stream',
  'metadata',
]);

/** An Anthropic Messages request as a text chat; throws Untranslatable for what it cannot carry. */
export function readAnthropicChat(body: Rec): TextChat {
  onlyFields(body, CARRIED);
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const turns = messages.map((m: unknown, i) => {
    if (!isRec(m) || (m.role !== 'user' && m.role !== 'assistant'))
      throw new Untranslatable(`messages[${i}]`);
    const role: 'user' | 'assistant' = m.role;
    return { role, text: textOf(m.content, `messages[${i}].content`) };
  });
  const stop = body.stop_sequences ?? [];
  if (!Array.isArray(stop) || !stop.every((s): s is string => typeof s === 'string')) {
    throw new Untranslatable('stop_sequences');
  }
  return {
    model: String(body.model),
    system: body.system === undefined ? undefined : textOf(body.system, 'system'),
    turns,
    temperature: optionalNumber(body.temperature, 'temperature'),
    topP: optionalNumber(body.top_p, 'top_p'),
    maxTokens: optionalNumber(body.max_tokens, 'max_tokens'),
    stop,
    stream: body.stream === true,
    streamUsage: true,
  };
}

const STOP_REASONS: Readonly<Record<TextAnswer['finish'], string>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  content_filter: 'refusal',
};

/** A text answer as an Anthropic `message`; `model` is what the serving provider reported. */
export function anthropicMessage(answer: TextAnswer): Rec {
  return {
    id: answer.id,
    type: 'message',
    role: 'assistant',
    model: answer.model,
    content: [{ type: 'text', text: answer.text }],
    stop_reason: STOP_REASONS[answer.finish],
    stop_sequence: null,
    usage: { input_tokens: answer.inputTokens, output_tokens: answer.outputTokens },
  };
}

/** Pieces of an answer as Anthropic's stream events, message_start to message_stop. */
export async function* anthropicEvents(
  pieces: AsyncIterable<AnswerPiece>,
): AsyncGenerator<Rec, void, undefined> {
  let finish: TextAnswer['finish'] = 'stop';
  let usage = { input_tokens: 0, output_tokens: 0 };
  for await (const piece of pieces) {
    if (piece.kind === 'start') {
      yield {
        type: 'message_start',
        message: {
          ...anthropicMessage({ ...piece, text: '', finish: 'stop', inputTokens: 0, outputTokens: 0 }),
          content: [],
          stop_reason: null,
        },
      };
      yield { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } };
    } else if (piece.kind === 'text') {
      yield { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece.text } };
    } else if (piece.kind === 'finish') finish = piece.finish;
    else usage = { input_tokens: piece.inputTokens, output_tokens: piece.outputTokens };
  }
  yield { type: 'content_block_stop', index: 0 };
  yield { type: 'message_delta', delta: { stop_reason: STOP_REASONS[finish], stop_sequence: null }, usage };
  yield { type: 'message_stop' };
}
