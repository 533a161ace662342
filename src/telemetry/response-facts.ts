/**
 * What a response says about itself, for `gen_ai.response.*` and `gen_ai.usage.*`: read from the bodies
 * and stream chunks of OpenAI (chat, Responses), Groq, Anthropic (a Message, or its stream events) and
 * Gemini (both SDKs). Merged chunk by chunk: usage counts are cumulative in every stream, so the max wins.
 */
export interface ResponseFacts {
  id?: string | undefined;
  model?: string | undefined;
  finishReasons?: string[] | undefined;
  /** Input tokens, cached ones included (as the GenAI conventions count them). */
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  cacheReadTokens?: number | undefined;
  cacheCreationTokens?: number | undefined;
}

type Obj = Readonly<Record<string, unknown>>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const sum = (...values: Array<number | undefined>): number | undefined =>
  values.some((v) => v !== undefined) ? values.reduce<number>((a, v) => a + (v ?? 0), 0) : undefined;

/** The usage object of each format, as ResponseFacts counts it. */
function usageOf(body: Obj): Partial<ResponseFacts> {
  const openai = isObj(body.usage)
    ? body.usage
    : isObj(body.x_groq) && isObj(body.x_groq.usage)
      ? body.x_groq.usage
      : undefined;
  if (openai) {
    const details = isObj(openai.prompt_tokens_details)
      ? openai.prompt_tokens_details
      : openai.input_tokens_details;
    const cacheRead = num(openai.cache_read_input_tokens);
    const cacheCreation = num(openai.cache_creation_input_tokens);
    const anthropic = cacheRead !== undefined || cacheCreation !== undefined;
    return {
      // Anthropic counts cache reads and writes apart from input_tokens; the others include them.
      inputTokens: anthropic
        ? sum(num(openai.input_tokens), cacheRead, cacheCreation)
        : (num(openai.prompt_tokens) ?? num(openai.input_tokens)),
      outputTokens: num(openai.completion_tokens) ?? num(openai.output_tokens),
      cacheReadTokens: cacheRead ?? (isObj(details) ? num(details.cached_tokens) : undefined),
      cacheCreationTokens: cacheCreation,
    };
  }
  const gemini = body.usageMetadata;
  if (!isObj(gemini)) return {};
  return {
    inputTokens: num(gemini.promptTokenCount),
    outputTokens: sum(num(gemini.candidatesTokenCount), num(gemini.thoughtsTokenCount)),
    cacheReadTokens: num(gemini.cachedContentTokenCount),
  };
}

function finishReasonsOf(body: Obj): string[] | undefined {
  const list = Array.isArray(body.choices)
    ? body.choices
    : Array.isArray(body.candidates)
      ? body.candidates
      : undefined;
  if (list) {
    const reasons = list.flatMap((c: unknown) =>
      isObj(c)
        ? [str(c.finish_reason) ?? str(c.finishReason)].filter((r): r is string => r !== undefined)
        : [],
    );
    return reasons.length > 0 ? reasons : undefined;
  }
  const stop = str(body.stop_reason) ?? (isObj(body.delta) ? str(body.delta.stop_reason) : undefined);
  if (stop) return [stop];
  return body.object === 'response'
    ? [str(body.status)].filter((s): s is string => s !== undefined)
    : undefined;
}

/** The facts one body or chunk carries. */
export function readFacts(data: unknown): Partial<ResponseFacts> {
  if (!isObj(data)) return {};
  // @google/generative-ai wraps its body in `response`; Anthropic's message_start in `message`; OpenAI
  // Responses stream events in `response`.
  const inner = isObj(data.response) ? data.response : isObj(data.message) ? data.message : undefined;
  const facts = inner ? readFacts(inner) : {};
  const own: Partial<ResponseFacts> = {
    id: str(data.id) ?? str(data.responseId),
    model: str(data.model) ?? str(data.modelVersion),
    finishReasons: finishReasonsOf(data),
    ...usageOf(data),
  };
  return merge(facts, own);
}

/** `later` over `earlier`; token counts keep their max (streams repeat them cumulatively). */
export function merge(earlier: Partial<ResponseFacts>, later: Partial<ResponseFacts>): ResponseFacts {
  const out: ResponseFacts = { ...earlier };
  for (const [field, value] of Object.entries(later) as Array<[keyof ResponseFacts, unknown]>) {
    if (value === undefined) continue;
    const before = out[field];
    if (typeof value === 'number' && typeof before === 'number')
      (out[field] as number) = Math.max(before, value);
    else (out as Record<string, unknown>)[field] = value;
  }
  return out;
}
