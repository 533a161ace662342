import { type ChatAnswer, type ChatRequest, sseFrame } from './dialect.js';

const FINGERPRINT = 'fp_emulator';

function usage(answer: ChatAnswer): Record<string, unknown> {
  return {
    prompt_tokens: answer.inputTokens,
    completion_tokens: answer.outputTokens,
    total_tokens: answer.inputTokens + answer.outputTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };
}

/** The `chat.completion` object. */
export function chatCompletion(answer: ChatAnswer): unknown {
  return {
    id: answer.id,
    object: 'chat.completion',
    created: answer.created,
    model: answer.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: answer.text, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: answer.truncated ? 'length' : 'stop',
      },
    ],
    usage: usage(answer),
    service_tier: 'default',
    system_fingerprint: FINGERPRINT,
  };
}

/** `chat.completion.chunk` frames: role, one per token, finish, the usage chunk if asked, `[DONE]`. */
export function chatCompletionFrames(answer: ChatAnswer, request: ChatRequest): string[] {
  // Every chunk of the stream has the same envelope; with `include_usage`, each carries `usage: null` but
  // the last, which has no choices and the usage.
  const frame = (choices: unknown[], rest: Record<string, unknown>): string =>
    sseFrame({
      id: answer.id,
      object: 'chat.completion.chunk',
      created: answer.created,
      model: answer.model,
      service_tier: 'default',
      system_fingerprint: FINGERPRINT,
      choices,
      ...rest,
    });
  const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
    frame(
      [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      request.includeUsage ? { usage: null } : {},
    );
  const frames = [chunk({ role: 'assistant', content: '', refusal: null }, null)];
  for (const piece of answer.pieces) frames.push(chunk({ content: piece }, null));
  frames.push(chunk({}, answer.truncated ? 'length' : 'stop'));
  if (request.includeUsage) frames.push(frame([], { usage: usage(answer) }));
  frames.push(sseFrame('[DONE]'));
  return frames;
}
