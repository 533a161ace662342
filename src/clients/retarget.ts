import { UnsupportedTargetError } from '../core/errors.js';
import type { ModelTarget } from '../core/fallback.js';
import { anthropicEvents, anthropicMessage, readAnthropicChat } from '../translate/anthropic-chat.js';
import { anthropicAnswer, anthropicPieces, anthropicRequest } from '../translate/anthropic-messages.js';
import { type Rec, type TextAnswer, Untranslatable } from '../translate/chat.js';
import { geminiAnswer, geminiPieces, geminiRequest } from '../translate/gemini-content.js';
import {
  type AnswerPiece,
  openAIAnswer,
  openAIChunks,
  openAICompletion,
  openAIPieces,
  openAIRequest,
  readOpenAIChat,
} from '../translate/openai-chat.js';
import {
  type ClientHints,
  type FactoryModel,
  factoryModelOf,
  genAIHints,
  modelOf,
  type Step,
  stainlessHints,
} from './client-hints.js';
import type { WrapContext } from './wrap-context.js';

/** Providers whose SDKs speak the OpenAI wire format: a chat completion goes to them as it is. */
const OPENAI_WIRE: Readonly<Record<string, () => ClientHints>> = {
  openai: () => stainlessHints('openai', 'openai', 'OpenAI'),
  groq: () => stainlessHints('groq', 'groq-sdk', 'Groq'),
};

/**
 * A `@google/generative-ai` call aimed at another Gemini model: the factory's `model` swapped. Other
 * providers are not reached from it: its answers are objects with methods (`response.text()`) that no
 * translation builds, so such a target is skipped as `unsupported`.
 */
function retargetFactory(
  ctx: WrapContext,
  path: readonly Step[],
  args: readonly unknown[],
  at: FactoryModel,
  target: ModelTarget,
): Retargeted {
  if (target.provider !== ctx.hints.provider) {
    throw new UnsupportedTargetError(
      `@google/generative-ai calls fall back to other Gemini models only; ${target.provider} has no translation of its answers (use @google/genai's client: mux.getGenAIClient())`,
      target.provider,
    );
  }
  const [params, ...rest] = at.args;
  const steps = [...path];
  steps[at.index] = { call: [{ ...(params as Rec), model: target.model }, ...rest] };
  return { ctx, path: steps, args };
}

function dottedOf(path: readonly Step[]): string {
  return path.map((s) => ('get' in s ? s.get : '()')).join('.');
}

/** The call aimed at a target: its context, path and arguments there, and how its answer comes back. */
export interface Retargeted {
  readonly ctx: WrapContext;
  readonly path: readonly Step[];
  readonly args: readonly unknown[];
  /** The target's answer in the caller's SDK's shape (a translated call); none when it speaks the same. */
  readonly map?: (data: unknown) => unknown;
}

const TRANSLATED: Readonly<Record<string, () => ClientHints>> = {
  anthropic: () => stainlessHints('anthropic', '@anthropic-ai/sdk', 'Anthropic'),
  gemini: genAIHints,
};

/** Hints are built once per provider (each holds a placeholder client). */
const built = new Map<string, ClientHints>();

function hintsOf(
  table: Readonly<Record<string, () => ClientHints>>,
  provider: string,
): ClientHints | undefined {
  const make = table[provider];
  if (make === undefined) return undefined;
  const key = `${table === OPENAI_WIRE ? 'wire' : 'translated'}:${provider}`;
  let made = built.get(key);
  if (!made) {
    made = make();
    built.set(key, made);
  }
  return made;
}

const get = (...names: string[]): Step[] => names.map((name) => ({ get: name }));

/** An OpenAI chat completion as an Anthropic Messages or Gemini generateContent call, and back. */
function translated(target: ModelTarget, body: Rec): Omit<Retargeted, 'ctx'> {
  const chat = readOpenAIChat({ ...body, model: target.model });
  const back = (
    pieces: (data: unknown) => AsyncIterable<AnswerPiece>,
    answer: (data: unknown) => TextAnswer,
  ) =>
    chat.stream
      ? (data: unknown) => openAIChunks(pieces(data), chat.streamUsage)
      : (data: unknown) => openAICompletion(answer(data));
  if (target.provider === 'anthropic') {
    return {
      path: get('messages', 'create'),
      args: [anthropicRequest(chat)],
      map: back((d) => anthropicPieces(d as AsyncIterable<unknown>), anthropicAnswer),
    };
  }
  return {
    path: get('models', chat.stream ? 'generateContentStream' : 'generateContent'),
    args: [geminiRequest(chat)],
    map: back(
      (d) => geminiPieces(d as AsyncIterable<unknown>, chat.model),
      (d) => geminiAnswer(d, chat.model),
    ),
  };
}

/** An Anthropic Messages request as an OpenAI chat completion (Groq, OpenAI), and back. */
function toOpenAIWire(target: ModelTarget, body: Rec): Omit<Retargeted, 'ctx'> {
  const chat = readAnthropicChat({ ...body, model: target.model });
  return {
    path: get('chat', 'completions', 'create'),
    args: [openAIRequest(chat)],
    map: chat.stream
      ? (data) => anthropicEvents(openAIPieces(data as AsyncIterable<unknown>))
      : (data) => anthropicMessage(openAIAnswer(data)),
  };
}

/** The target's hints and the translation to it, for a call this module can translate. */
function translationFor(
  from: string,
  dotted: string,
  target: ModelTarget,
):
  | { hints: ClientHints; translate: (target: ModelTarget, body: Rec) => Omit<Retargeted, 'ctx'> }
  | undefined {
  if (dotted === 'chat.completions.create' && hintsOf(OPENAI_WIRE, from)) {
    const hints = hintsOf(TRANSLATED, target.provider);
    return hints && { hints, translate: translated };
  }
  if (dotted === 'messages.create' && from === 'anthropic') {
    const hints = hintsOf(OPENAI_WIRE, target.provider);
    return hints && { hints, translate: toOpenAIWire };
  }
  return undefined;
}

/**
 * The same call aimed at another model: the body's `model` swapped; on another provider, that
 * provider's client when it speaks the same wire format, or a translation of a text chat (OpenAI →
 * Anthropic, Gemini; Anthropic → OpenAI-wire). Throws UnsupportedTargetError when neither carries the whole request.
 */
export function retarget(
  ctx: WrapContext,
  path: readonly Step[],
  args: readonly unknown[],
  target: ModelTarget,
): Retargeted {
  const inPath = modelOf(args) === undefined ? factoryModelOf(path) : undefined;
  if (inPath) return retargetFactory(ctx, path, args, inPath, target);
  const body = args[0] as Rec;
  const moved = [{ ...body, model: target.model }, ...args.slice(1)];
  const from = ctx.hints.provider;
  if (target.provider === from) return { ctx, path, args: moved };
  const dotted = dottedOf(path);
  // Another provider's keys: a `specific` key of the first provider means nothing there.
  const { keyName: _key, strategy, ...rest } = ctx.call;
  const call = strategy === 'specific' || strategy === undefined ? rest : { ...rest, strategy };
  const isChat = dotted === 'chat.completions.create' && hintsOf(OPENAI_WIRE, from) !== undefined;
  const wire = isChat ? hintsOf(OPENAI_WIRE, target.provider) : undefined;
  if (wire) return { ctx: { ...ctx, hints: wire, call }, path, args: moved };
  const other = translationFor(from, dotted, target);
  if (other) {
    try {
      return { ctx: { ...ctx, hints: other.hints, call }, ...other.translate(target, body) };
    } catch (error) {
      if (!(error instanceof Untranslatable)) throw error;
      throw new UnsupportedTargetError(
        `${target.provider} cannot carry this request: ${error.message}`,
        target.provider,
      );
    }
  }
  throw new UnsupportedTargetError(
    `${from} ${dotted}() cannot be sent to ${target.provider}: no translation carries it`,
    target.provider,
  );
}
