import { describe, expect, it } from 'vitest';
import { geminiClient, genAIClient } from '../../src/clients/sdk-clients.js';
import { setup } from './support.js';

const model = 'gemini-2.0-flash';
const prompt = 'Tell me about keys.';

/** The same prompt twice: only the history the second request carries can make it larger. */
function inputTokensOf(emulator: Awaited<ReturnType<typeof setup>>['emulator']): number[] {
  return emulator.ledger.entries().map((e) => e.inputTokens);
}

describe('Gemini chat sessions keep their history across messages, on any key', () => {
  it('@google/generative-ai startChat(): the second message carries the first exchange', async () => {
    const { emulator, mux } = await setup('gemini', 'gemini');
    const chat = geminiClient(mux, 'round-robin').getGenerativeModel({ model }).startChat();
    const first = await chat.sendMessage(prompt);
    await chat.sendMessage(prompt);
    expect(emulator.ledger.entries().map((e) => e.key)).toEqual(['a', 'b']);
    const [one, two] = inputTokensOf(emulator);
    expect(two).toBeGreaterThan(one! * 2);
    const history = await chat.getHistory();
    expect(history.map((c) => c.role)).toEqual(['user', 'model', 'user', 'model']);
    expect(history[1]?.parts[0]?.text).toBe(first.response.text());
  });

  it('@google/generative-ai: a streamed reply joins the history once it is complete', async () => {
    const { emulator, mux } = await setup('gemini', 'gemini');
    const chat = geminiClient(mux, 'round-robin').getGenerativeModel({ model }).startChat();
    const { stream } = await chat.sendMessageStream(prompt);
    for await (const _chunk of stream) {
      // read to the end
    }
    await chat.sendMessage(prompt);
    const [one, two] = inputTokensOf(emulator);
    expect(two).toBeGreaterThan(one! * 2);
  });

  it('@google/genai ai.chats.create(): history carries across messages and streams', async () => {
    const { emulator, mux } = await setup('gemini', 'google-genai');
    const chat = genAIClient(mux, 'round-robin').chats.create({ model });
    const first = await chat.sendMessage({ message: prompt });
    const stream = await chat.sendMessageStream({ message: prompt });
    for await (const _chunk of stream) {
      // read to the end
    }
    await chat.sendMessage({ message: prompt });
    expect(emulator.ledger.entries().map((e) => e.key)).toEqual(['a', 'b', 'c']);
    const [one, two, three] = inputTokensOf(emulator);
    expect(two).toBeGreaterThan(one! * 2);
    expect(three).toBeGreaterThan(two! + one!);
    const history = chat.getHistory();
    // The SDK records a streamed reply as one model content per chunk.
    expect(history.filter((c) => c.role === 'user')).toHaveLength(3);
    expect(history.at(-1)?.role).toBe('model');
    expect(history[1]?.parts?.[0]?.text).toBe(first.text);
  });
});
