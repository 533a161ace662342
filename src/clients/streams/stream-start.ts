import { isRecord } from '../../providers/wire-values.js';

function isBlank(value: unknown): boolean {
  return (
    value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)
  );
}

/**
 * A chunk that only opens an answer and carries none of it: OpenAI's and Groq's first delta (`role`
 * alone, or empty content), Anthropic's `message_start`, `ping` and an empty text block's start. keymux
 * holds these back until the first chunk with content, so a stream that fails before any content falls
 * over to another key or model with nothing handed to the caller yet.
 */
export function opensOnly(chunk: unknown): boolean {
  if (!isRecord(chunk)) return false;
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
