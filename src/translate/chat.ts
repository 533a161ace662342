/** A record read from a request or response of another SDK: fields are checked before use. */
export type Rec = Readonly<Record<string, unknown>>;

export function isRec(value: unknown): value is Rec {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * A text chat, as every translation carries it: system text, user/assistant turns, sampling, output
 * cap, stop sequences and streaming. A request with anything else (tools, images, response formats,
 * several choices, logprobs) has no translation: the target is skipped with reason `unsupported`.
 */
export interface TextChat {
  readonly model: string;
  readonly system: string | undefined;
  readonly turns: readonly { readonly role: 'user' | 'assistant'; readonly text: string }[];
  readonly temperature: number | undefined;
  readonly topP: number | undefined;
  readonly maxTokens: number | undefined;
  readonly stop: readonly string[];
  readonly stream: boolean;
  /** OpenAI's `stream_options.include_usage`: a last chunk with the usage. */
  readonly streamUsage: boolean;
}

/** The answer of a text chat, as every translation carries it back. */
export interface TextAnswer {
  readonly id: string;
  readonly model: string;
  readonly text: string;
  readonly finish: 'stop' | 'length' | 'content_filter';
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** Why a request cannot be carried: the field that has no translation. */
export class Untranslatable extends Error {
  constructor(readonly field: string) {
    super(`\`${field}\` has no translation`);
    this.name = 'Untranslatable';
  }
}

/** A content that is text: a string, or (OpenAI, Anthropic) an array of text parts only. */
export function textOf(content: unknown, field: string): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown, i) => {
        if (isRec(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
        throw new Untranslatable(`${field}[${i}]`);
      })
      .join('');
  }
  throw new Untranslatable(field);
}

/** Refuses every field of `body` that is set and not in `carried`. */
export function onlyFields(body: Rec, carried: ReadonlySet<string>): void {
  for (const [field, value] of Object.entries(body)) {
    if (value !== undefined && value !== null && !carried.has(field)) throw new Untranslatable(field);
  }
}

/** A token count of a usage object (`usage.input_tokens`, `usage.prompt_tokens`): 0 when absent. */
export function tokens(usage: unknown, field: string): number {
  const value = isRec(usage) ? usage[field] : undefined;
  return typeof value === 'number' ? value : 0;
}

export function optionalNumber(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new Untranslatable(field);
  return value;
}
