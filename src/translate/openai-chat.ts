import {
  isRec,
  onlyFields,
  optionalNumber,
  type Rec,
  type TextAnswer,
  type TextChat,
  textOf,
  tokens,
  Untranslatable,
} from './chat.js';

const CARRIED = new Set([
  'model',
  'messages',
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'stream',
  'stream_options',
  'n',
  'user',
  'store',
  'metadata',
]);

/** An OpenAI chat completion request as a text chat; throws Untranslatable for what it cannot carry. */
export function readOpenAIChat(body: Rec): TextChat {
  onlyFields(body, CARRIED);
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw new Untranslatable('n');
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const system: string[] = [];
  const turns: { role: 'user' | 'assistant'; text: string }[] = [];
  messages.forEach((m: unknown, i) => {
    if (!isRec(m)) throw new Untranslatable(`messages[${i}]`);
    const text = textOf(m.content, `messages[${i}].content`);
    if (m.role === 'system' || m.role === 'developer') system.push(text);
    else if ((m.role === 'user' || m.role === 'assistant') && m.tool_calls === undefined) {
      turns.push({ role: m.role, text });
    } else throw new Untranslatable(`messages[${i}].role`);
  });
  const stop = body.stop === undefined || body.stop === null ? [] : [body.stop].flat();
  if (!stop.every((s): s is string => typeof s === 'string')) throw new Untranslatable('stop');
  return {
    model: String(body.model),
    system: system.length > 0 ? system.join('\n\n') : undefined,
    turns,
    temperature: optionalNumber(body.temperature, 'temperature'),
    topP: optionalNumber(body.top_p, 'top_p'),
    maxTokens: optionalNumber(body.max_completion_tokens ?? body.max_tokens, 'max_tokens'),
    stop,
    stream: body.stream === true,
    streamUsage: isRec(body.stream_options) && body.stream_options.include_usage === true,
  };
}

const created = (): number => Math.floor(Date.now() / 1000);

/** A text answer as an OpenAI `chat.completion`; `model` is what the serving provider reported. */
export function openAICompletion(answer: TextAnswer): Rec {
  return {
    id: answer.id,
    object: 'chat.completion',
    created: created(),
    model: answer.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: answer.text, refusal: null },
        finish_reason: answer.finish,
        logprobs: null,
      },
    ],
    usage: usageOf(answer),
  };
}

function usageOf(answer: Pick<TextAnswer, 'inputTokens' | 'outputTokens'>): Rec {
  return {
    prompt_tokens: answer.inputTokens,
    completion_tokens: answer.outputTokens,
    total_tokens: answer.inputTokens + answer.outputTokens,
  };
}

/** One streamed piece of a text answer, in the order a translated stream yields them. */
export type AnswerPiece =
  | { readonly kind: 'start'; readonly id: string; readonly model: string }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'finish'; readonly finish: TextAnswer['finish'] }
  | { readonly kind: 'usage'; readonly inputTokens: number; readonly outputTokens: number };

/** Pieces of an answer as OpenAI `chat.completion.chunk`s (the usage chunk only when the request asked). */
export async function* openAIChunks(
  pieces: AsyncIterable<AnswerPiece>,
  streamUsage: boolean,
): AsyncGenerator<Rec, void, undefined> {
  let id = 'chatcmpl-keymux';
  let model = '';
  let usage: { inputTokens: number; outputTokens: number } | undefined;
  const chunk = (delta: Rec, finish: string | null): Rec => ({
    id,
    object: 'chat.completion.chunk',
    created: created(),
    model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
  for await (const piece of pieces) {
    if (piece.kind === 'start') {
      ({ id, model } = piece);
      yield chunk({ role: 'assistant', content: '' }, null);
    } else if (piece.kind === 'text') yield chunk({ content: piece.text }, null);
    else if (piece.kind === 'finish') yield chunk({}, piece.finish);
    else usage = { inputTokens: piece.inputTokens, outputTokens: piece.outputTokens };
  }
  if (streamUsage && usage) {
    yield {
      id,
      object: 'chat.completion.chunk',
      created: created(),
      model,
      choices: [],
      usage: usageOf(usage),
    };
  }
}

/** A text chat as an OpenAI chat completion request (usage asked for when streaming). */
export function openAIRequest(chat: TextChat): Rec {
  const system = chat.system === undefined ? [] : [{ role: 'system', content: chat.system }];
  return {
    model: chat.model,
    messages: [...system, ...chat.turns.map((t) => ({ role: t.role, content: t.text }))],
    ...(chat.temperature === undefined ? {} : { temperature: chat.temperature }),
    ...(chat.topP === undefined ? {} : { top_p: chat.topP }),
    ...(chat.maxTokens === undefined ? {} : { max_tokens: chat.maxTokens }),
    ...(chat.stop.length === 0 ? {} : { stop: chat.stop }),
    ...(chat.stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  };
}

const FINISH: Readonly<Record<string, TextAnswer['finish']>> = {
  length: 'length',
  content_filter: 'content_filter',
};

/** An OpenAI `chat.completion` as a text answer. */
export function openAIAnswer(completion: unknown): TextAnswer {
  const c = isRec(completion) ? completion : {};
  const choice: unknown = Array.isArray(c.choices) ? c.choices[0] : undefined;
  const message = isRec(choice) && isRec(choice.message) ? choice.message : {};
  const reason = isRec(choice) && typeof choice.finish_reason === 'string' ? choice.finish_reason : 'stop';
  return {
    id: String(c.id ?? ''),
    model: String(c.model ?? ''),
    text: typeof message.content === 'string' ? message.content : '',
    finish: FINISH[reason] ?? 'stop',
    inputTokens: tokens(c.usage, 'prompt_tokens'),
    outputTokens: tokens(c.usage, 'completion_tokens'),
  };
}

/** OpenAI `chat.completion.chunk`s as answer pieces. */
export async function* openAIPieces(
  chunks: AsyncIterable<unknown>,
): AsyncGenerator<AnswerPiece, void, undefined> {
  let started = false;
  let usage = { inputTokens: 0, outputTokens: 0 };
  for await (const chunk of chunks) {
    if (!isRec(chunk)) continue;
    if (!started) {
      started = true;
      yield { kind: 'start', id: String(chunk.id ?? ''), model: String(chunk.model ?? '') };
    }
    const choice: unknown = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (isRec(choice)) {
      const delta = isRec(choice.delta) ? choice.delta : {};
      if (typeof delta.content === 'string' && delta.content !== '')
        yield { kind: 'text', text: delta.content };
      if (typeof choice.finish_reason === 'string')
        yield { kind: 'finish', finish: FINISH[choice.finish_reason] ?? 'stop' };
    }
    if (isRec(chunk.usage)) {
      usage = {
        inputTokens: tokens(chunk.usage, 'prompt_tokens'),
        outputTokens: tokens(chunk.usage, 'completion_tokens'),
      };
    }
  }
  yield { kind: 'usage', ...usage };
}
