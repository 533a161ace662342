import type Anthropic from '@anthropic-ai/sdk';
import type { GoogleGenAI } from '@google/genai';
import type { GoogleGenerativeAI } from '@google/generative-ai';
import type Groq from 'groq-sdk';
import type OpenAI from 'openai';
import { describe, expectTypeOf, it } from 'vitest';
import {
  anthropicClient,
  geminiClient,
  genAIClient,
  groqClient,
  openAIClient,
} from '../../src/clients/sdk-clients.js';
import type { Multiplexer } from '../../src/multiplexer.js';

declare const mux: Multiplexer;

describe('wrapped clients keep the SDKs’ types', () => {
  it('openAIClient is an OpenAI; chat.completions.create keeps its SDK type', () => {
    const client = openAIClient(mux, 'least-loaded');
    expectTypeOf(client).toEqualTypeOf<OpenAI>();
    expectTypeOf(client).toExtend<OpenAI>();
    const completion = client.chat.completions.create({ model: 'm', messages: [] });
    expectTypeOf(completion).toExtend<Promise<OpenAI.Chat.Completions.ChatCompletion>>();
    expectTypeOf(completion).resolves.toExtend<OpenAI.Chat.Completions.ChatCompletion>();
    expectTypeOf(
      openAIClient(mux, { strategy: 'specific', keyName: 'a', timeoutMs: 5 }),
    ).toEqualTypeOf<OpenAI>();
  });

  it('the other providers', () => {
    expectTypeOf(anthropicClient(mux)).toEqualTypeOf<Anthropic>();
    expectTypeOf(groqClient(mux)).toEqualTypeOf<Groq>();
    expectTypeOf(geminiClient(mux)).toEqualTypeOf<GoogleGenerativeAI>();
    expectTypeOf(genAIClient(mux)).toEqualTypeOf<GoogleGenAI>();
    expectTypeOf(
      anthropicClient(mux).messages.create({ model: 'm', max_tokens: 1, messages: [] }),
    ).resolves.toExtend<Anthropic.Message>();
  });

  it('rejects unknown strategies', () => {
    // @ts-expect-error not a strategy
    openAIClient(mux, 'fastest');
  });
});
