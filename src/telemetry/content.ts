/**
 * Message content for `gen_ai.input.messages`, `gen_ai.system_instructions` and `gen_ai.output.messages`
 * (text parts only; other parts keep their type), recorded only with `telemetry: { captureContent: true }`.
 */
interface Part {
  readonly type: string;
  readonly content?: string;
}
export interface ChatMessage {
  readonly role: string;
  readonly parts: readonly Part[];
}

type Obj = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function partsOf(content: unknown): Part[] {
  if (typeof content === 'string') return [{ type: 'text', content }];
  if (!Array.isArray(content)) return [];
  return content.map((part: unknown) => {
    if (typeof part === 'string') return { type: 'text', content: part };
    if (!isObj(part)) return { type: 'unknown' };
    if (typeof part.text === 'string') return { type: 'text', content: part.text };
    return { type: typeof part.type === 'string' ? part.type : 'unknown' };
  });
}

/** The request's messages: OpenAI, Groq and Anthropic `messages`, Responses `input`, Gemini `contents`. */
export function inputMessages(body: unknown): { messages?: ChatMessage[]; system?: Part[] } {
  if (!isObj(body))
    return typeof body === 'string' ? { messages: [{ role: 'user', parts: partsOf(body) }] } : {};
  const list = body.messages ?? body.contents ?? body.input;
  const messages =
    typeof list === 'string'
      ? [{ role: 'user', parts: partsOf(list) }]
      : Array.isArray(list)
        ? list.filter(isObj).map((m) => ({
            role: typeof m.role === 'string' ? m.role : 'user',
            parts: partsOf(m.content ?? m.parts),
          }))
        : undefined;
  const system =
    body.system ?? (isObj(body.systemInstruction) ? body.systemInstruction.parts : body.systemInstruction);
  return {
    ...(messages ? { messages } : {}),
    ...(system === undefined ? {} : { system: partsOf(system) }),
  };
}

/**
 * The text a body or a stream chunk adds to the answer: `replace` for a whole message, `append` for a
 * stream's delta. The aggregate `@google/generative-ai` hands over at a stream's end (it has a `text()`
 * method) repeats its chunks: ignored.
 */
export function outputText(data: unknown): { text: string; mode: 'replace' | 'append' } | undefined {
  if (!isObj(data) || typeof data.text === 'function') return undefined;
  const choice = Array.isArray(data.choices) && isObj(data.choices[0]) ? data.choices[0] : undefined;
  if (choice && isObj(choice.delta)) return { text: String(choice.delta.content ?? ''), mode: 'append' };
  if (choice && isObj(choice.message)) return { text: String(choice.message.content ?? ''), mode: 'replace' };
  if (isObj(data.delta) && typeof data.delta.text === 'string')
    return { text: data.delta.text, mode: 'append' };
  if (Array.isArray(data.content) && data.role === 'assistant') {
    return { text: textOf(data.content), mode: 'replace' };
  }
  const candidate =
    Array.isArray(data.candidates) && isObj(data.candidates[0]) ? data.candidates[0] : undefined;
  if (candidate && isObj(candidate.content)) return { text: textOf(candidate.content.parts), mode: 'append' };
  return undefined;
}

function textOf(parts: unknown): string {
  return partsOf(parts)
    .map((p) => p.content ?? '')
    .join('');
}
