import { hashText, seededRandom } from '../random.js';
import { intField, isRecord } from './dialect.js';
import { estimateTokens } from './text-gen.js';

export interface EmbeddingsRequest {
  readonly model: string;
  readonly inputs: readonly string[];
  readonly dimensions: number | undefined;
  readonly base64: boolean;
}

/** Checks a `POST /v1/embeddings` body; a string is the 400 message. */
export function parseEmbeddings(body: unknown): EmbeddingsRequest | string {
  if (!isRecord(body)) return 'The request body must be a JSON object.';
  if (typeof body.model !== 'string') return 'you must provide a model parameter';
  const input = body.input;
  const inputs =
    typeof input === 'string'
      ? [input]
      : Array.isArray(input)
        ? input.map((i) => (typeof i === 'string' ? i : JSON.stringify(i)))
        : undefined;
  if (inputs === undefined || inputs.length === 0) return "'input' is a required property";
  const format = body.encoding_format;
  if (format !== undefined && format !== 'float' && format !== 'base64')
    return "'encoding_format' must be 'float' or 'base64'";
  return { model: body.model, inputs, dimensions: intField(body.dimensions), base64: format === 'base64' };
}

export function embeddingsTokens(request: EmbeddingsRequest): number {
  return request.inputs.reduce((sum, text) => sum + Math.max(1, estimateTokens(text)), 0);
}

/** A unit vector that depends only on the text and the length: the same input always embeds the same. */
export function embed(text: string, dimensions: number): number[] {
  const random = seededRandom(hashText(text));
  const vector = Array.from({ length: dimensions }, () => random() * 2 - 1);
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => Math.fround(v / norm));
}

export function embeddingsBody(request: EmbeddingsRequest, defaultDimensions: number): unknown {
  const dimensions = request.dimensions ?? defaultDimensions;
  const tokens = embeddingsTokens(request);
  return {
    object: 'list',
    data: request.inputs.map((text, index) => {
      const vector = embed(text, dimensions);
      const embedding = request.base64
        ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
        : vector;
      return { object: 'embedding', index, embedding };
    }),
    model: request.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
