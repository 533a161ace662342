import { isRecord } from '../../providers/wire-values.js';

function isBlank(value: unknown): boolean {
  return (
    value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)
  );
}

/** A Gemini part with nothing in it: no text (a `thoughtSignature` alone is no answer yet). */
function isEmptyPart(part: unknown): boolean {
  return (
    isRecord(part) &&
    Object.entries(part).every(([field, value]) => field === 'thoughtSignature' || isBlank(value))
  );
}

/** A Gemini chunk whose candidates carry no part with content yet, and no finish. */
function opensGemini(chunk: Record<string, unknown>): boolean {
  const { candidates } = chunk;
  if (!Array.isArray(candidates) || candidates.length === 0 || chunk.promptFeedback !== undefined)
    return false;
  return candidates.every((candidate: unknown) => {
    if (!isRecord(candidate) || !isBlank(candidate.finishReason)) return false;
    const content = candidate.content;
    if (content === undefined) return true;
    if (!isRecord(content)) return false;
    const parts = content.parts;
    return isBlank(parts) || (Array.isArray(parts) && parts.every(isEmptyPart));
  });
}

/**
 * A chunk that only opens an answer and carries none of it: OpenAI's and Groq's first delta (`role`
 * alone, or empty content), Anthropic's `message_start`, `ping` and an empty text block's start,
 * Gemini's chunks whose candidates have no text yet. keymux holds these back until the first chunk
 * with content, so a stream that fails before any content falls over to another key or model with
 * nothing handed to the caller yet. The gateway asks the same of each SSE event it reads.
 */
export function opensOnly(chunk: unknown): boolean {
  if (!isRecord(chunk)) return false;
  if ('candidates' in chunk) return opensGemini(chunk);
  const { type } = chunk;
  if (type === 'message_start' || type === 'ping') return true;
  if (type === 'content_block_start') {
    const block = chunk.content_block;
    return isRecord(block) && block.type === 'text' && isBlank(block.text);
  }
  const { choices } = chunk;
  if (chunk.object !== 'chat.completion.chunk' || !Array.isArray(choices) || choices.length === 0)
    return false;
  return choices.every(
    (choice: unknown) =>
      isRecord(choice) &&
      isBlank(choice.finish_reason) &&
      isRecord(choice.delta) &&
      Object.entries(choice.delta).every(([field, value]) => field === 'role' || isBlank(value)),
  );
}
