import { isRec, type Rec, type TextAnswer, type TextChat } from './chat.js';
import type { AnswerPiece } from './openai-chat.js';

/** A text chat as `@google/genai`'s `models.generateContent` parameters. */
export function geminiRequest(chat: TextChat): Rec {
  const config: Record<string, unknown> = {};
  if (chat.system !== undefined) config.systemInstruction = chat.system;
  if (chat.temperature !== undefined) config.temperature = chat.temperature;
  if (chat.topP !== undefined) config.topP = chat.topP;
  if (chat.maxTokens !== undefined) config.maxOutputTokens = chat.maxTokens;
  if (chat.stop.length > 0) config.stopSequences = chat.stop;
  return {
    model: chat.model,
    contents: chat.turns.map((t) => ({
      role: t.role === 'assistant' ? 'model' : 'user',
      parts: [{ text: t.text }],
    })),
    ...(Object.keys(config).length === 0 ? {} : { config }),
  };
}

/**
 * A text chat as the body of Gemini's REST `generateContent` (what the gateway sends): the SDK's
 * `config` fields are the wire's `systemInstruction` and `generationConfig`.
 */
export function geminiWireRequest(chat: TextChat): Rec {
  const { contents, config } = geminiRequest(chat) as { contents: unknown; config?: Rec };
  const { systemInstruction, ...generationConfig } = config ?? {};
  return {
    contents,
    ...(systemInstruction === undefined
      ? {}
      : { systemInstruction: { parts: [{ text: systemInstruction }] } }),
    ...(Object.keys(generationConfig).length === 0 ? {} : { generationConfig }),
  };
}

const FINISH: Readonly<Record<string, TextAnswer['finish']>> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  BLOCKLIST: 'content_filter',
};

function candidateOf(response: Rec): Rec {
  const candidates = Array.isArray(response.candidates) ? response.candidates : [];
  const first: unknown = candidates[0];
  return isRec(first) ? first : {};
}

function textOfCandidate(candidate: Rec): string {
  const parts =
    isRec(candidate.content) && Array.isArray(candidate.content.parts) ? candidate.content.parts : [];
  return parts.map((p: unknown) => (isRec(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

function usageOf(response: Rec): { inputTokens: number; outputTokens: number } {
  const u = isRec(response.usageMetadata) ? response.usageMetadata : {};
  const read = (field: string): number => (typeof u[field] === 'number' ? (u[field] as number) : 0);
  return { inputTokens: read('promptTokenCount'), outputTokens: read('candidatesTokenCount') };
}

function finishOf(candidate: Rec, response: Rec): TextAnswer['finish'] | undefined {
  if (isRec(response.promptFeedback) && response.promptFeedback.blockReason) return 'content_filter';
  const reason = candidate.finishReason;
  return typeof reason === 'string' ? (FINISH[reason] ?? 'stop') : undefined;
}

/** A `GenerateContentResponse` as a text answer; `modelVersion` is the model that served. */
export function geminiAnswer(response: unknown, requested: string): TextAnswer {
  const r = isRec(response) ? response : {};
  const candidate = candidateOf(r);
  return {
    id: String(r.responseId ?? 'gemini'),
    model: typeof r.modelVersion === 'string' ? r.modelVersion : requested,
    text: textOfCandidate(candidate),
    finish: finishOf(candidate, r) ?? 'stop',
    ...usageOf(r),
  };
}

/** `generateContentStream`'s responses as answer pieces; usage counts are cumulative: the last one holds. */
export async function* geminiPieces(
  responses: AsyncIterable<unknown>,
  requested: string,
): AsyncGenerator<AnswerPiece, void, undefined> {
  let started = false;
  let usage = { inputTokens: 0, outputTokens: 0 };
  for await (const response of responses) {
    if (!isRec(response)) continue;
    if (!started) {
      started = true;
      const model = typeof response.modelVersion === 'string' ? response.modelVersion : requested;
      yield { kind: 'start', id: String(response.responseId ?? 'gemini'), model };
    }
    const candidate = candidateOf(response);
    const text = textOfCandidate(candidate);
    if (text !== '') yield { kind: 'text', text };
    const finish = finishOf(candidate, response);
    if (finish) yield { kind: 'finish', finish };
    if (isRec(response.usageMetadata)) usage = usageOf(response);
  }
  yield { kind: 'usage', ...usage };
}
