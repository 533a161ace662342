import type { Step } from './client-hints.js';

/** The SDK methods whose GenAI operation is known, by how their path ends. */
const OPERATIONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/(^|\.)chat\.completions\.(create|stream|parse)$/, 'chat'],
  [/(^|\.)responses\.(create|stream|parse)$/, 'chat'],
  [/(^|\.)messages\.(create|stream)$/, 'chat'],
  [/(^|\.)completions\.create$/, 'text_completion'],
  [/(^|\.)embeddings\.create$/, 'embeddings'],
  [/(^|\.)(batchEmbedContents|embedContent)$/, 'embeddings'],
  [/(^|\.)(generateContent|generateContentStream|sendMessage|sendMessageStream)$/, 'generate_content'],
];

/** `gen_ai.operation.name` of a wrapped client's request; undefined for other requests. */
export function operationOf(path: readonly Step[]): string | undefined {
  const dotted = path.flatMap((s) => ('get' in s ? [s.get] : [])).join('.');
  return OPERATIONS.find(([pattern]) => pattern.test(dotted))?.[1];
}
