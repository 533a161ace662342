import { type ChatAnswer, sseFrame } from './dialect.js';

function usageMetadata(answer: ChatAnswer, outputTokens: number): Record<string, unknown> {
  return {
    promptTokenCount: answer.inputTokens,
    candidatesTokenCount: outputTokens,
    totalTokenCount: answer.inputTokens + outputTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: answer.inputTokens }],
  };
}

function response(
  answer: ChatAnswer,
  text: string,
  final: boolean,
  outputTokens: number,
): Record<string, unknown> {
  return {
    candidates: [
      {
        content: { parts: [{ text }], role: 'model' },
        ...(final ? { finishReason: answer.truncated ? 'MAX_TOKENS' : 'STOP' } : {}),
        index: 0,
      },
    ],
    usageMetadata: usageMetadata(answer, outputTokens),
    modelVersion: answer.model,
    responseId: answer.id,
  };
}

/** A `GenerateContentResponse`. */
export function geminiResponse(answer: ChatAnswer): unknown {
  return response(answer, answer.text, true, answer.outputTokens);
}

/** `data:` frames of `streamGenerateContent?alt=sse`: one per token, the last with finishReason. */
export function geminiFrames(answer: ChatAnswer): string[] {
  const pieces = answer.pieces.length === 0 ? [''] : answer.pieces;
  return pieces.map((piece, i) => {
    const final = i === pieces.length - 1;
    return sseFrame(response(answer, piece, final, final ? answer.outputTokens : i + 1));
  });
}
