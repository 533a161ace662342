import { z } from 'zod';

/** The endpoints of the OpenAI Batch API; each line's `url` names one. */
export const BATCH_URLS = [
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/completions',
  '/v1/responses',
] as const;

const requestLine = z.object({
  custom_id: z.string().min(1, 'custom_id must be a non-empty string'),
  method: z.literal('POST', { error: 'method must be "POST"' }),
  url: z.enum(BATCH_URLS, { error: `url must be one of ${BATCH_URLS.join(', ')}` }),
  body: z.record(z.string(), z.unknown(), { error: 'body must be a JSON object' }),
});

/** One valid input line. */
export interface BatchRequest {
  readonly lineNumber: number;
  readonly customId: string;
  readonly url: (typeof BATCH_URLS)[number];
  readonly body: Readonly<Record<string, unknown>>;
}

/** One line that is not a valid request; its custom_id is kept when one could be read. */
export interface MalformedLine {
  readonly lineNumber: number;
  readonly customId: string | null;
  readonly message: string;
}

export type ParsedLine =
  | { readonly ok: true; readonly request: BatchRequest }
  | { readonly ok: false; readonly malformed: MalformedLine };

/** Parses one line of a Batch API input file (1-based `lineNumber`, for messages). */
export function parseBatchLine(text: string, lineNumber: number): ParsedLine {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, malformed: { lineNumber, customId: null, message: `not valid JSON (${reason})` } };
  }
  const parsed = requestLine.safeParse(json);
  if (parsed.success) {
    const { custom_id, url, body } = parsed.data;
    return { ok: true, request: { lineNumber, customId: custom_id, url, body } };
  }
  const customId =
    typeof json === 'object' &&
    json !== null &&
    typeof (json as { custom_id?: unknown }).custom_id === 'string'
      ? (json as { custom_id: string }).custom_id || null
      : null;
  const message = parsed.error.issues.map((issue) => issue.message).join('; ');
  return { ok: false, malformed: { lineNumber, customId, message } };
}
