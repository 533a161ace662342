import { isPlainObject } from '../client-hints.js';
import type { Step } from '../client-path.js';

/**
 * Whether a request asks for a stream, before it is sent: `stream: true` in the body or options
 * (OpenAI, Anthropic, Groq, and their `client.post(path, { stream: true })`), or a method named for it
 * (`generateContentStream`, `sendMessageStream` of both Google SDKs).
 */
export function isStreamRequest(path: readonly Step[], args: readonly unknown[]): boolean {
  const method = [...path].reverse().find((s): s is { get: string } => 'get' in s)?.get ?? '';
  if (method.endsWith('Stream')) return true;
  return args.some((arg) => isPlainObject(arg) && arg.stream === true);
}
