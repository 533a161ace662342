import { type ChatAnswer, sseFrame } from './dialect.js';

function usage(inputTokens: number, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

const stopReason = (answer: ChatAnswer): string => (answer.truncated ? 'max_tokens' : 'end_turn');

/** The `message` object. */
export function anthropicMessage(answer: ChatAnswer): unknown {
  return {
    id: answer.id,
    type: 'message',
    role: 'assistant',
    model: answer.model,
    content: [{ type: 'text', text: answer.text }],
    stop_reason: stopReason(answer),
    stop_sequence: null,
    usage: usage(answer.inputTokens, answer.outputTokens),
  };
}

/** message_start, content_block_start, ping, one content_block_delta per token, …, message_stop. */
export function anthropicFrames(answer: ChatAnswer): string[] {
  const frame = (type: string, data: Record<string, unknown>): string => sseFrame({ type, ...data }, type);
  const frames = [
    frame('message_start', {
      message: {
        id: answer.id,
        type: 'message',
        role: 'assistant',
        model: answer.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usage(answer.inputTokens, 1),
      },
    }),
    frame('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    frame('ping', {}),
  ];
  for (const piece of answer.pieces) {
    frames.push(frame('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } }));
  }
  frames.push(
    frame('content_block_stop', { index: 0 }),
    frame('message_delta', {
      delta: { stop_reason: stopReason(answer), stop_sequence: null },
      usage: { output_tokens: answer.outputTokens },
    }),
    frame('message_stop', {}),
  );
  return frames;
}
