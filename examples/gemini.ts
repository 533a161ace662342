// Gemini keys used as one by both Google SDKs, against the embedded emulator: `npx tsx examples/gemini.ts`.
import 'keymux/gemini';
import 'keymux/genai';
import { Multiplexer } from 'keymux';
import { baseUrlFor, startEmulator } from 'keymux/emulator';

const keys = ['AIza-example-gemini-key-01', 'AIza-example-gemini-key-02'];
const emulator = await startEmulator({ keys: keys.map((key, i) => ({ key, name: `key-${i}` })) });
const mux = new Multiplexer();
for (const [i, apiKey] of keys.entries()) {
  mux.addGeminiKey(`key-${i}`, apiKey, { baseURL: baseUrlFor('gemini', emulator.url) });
}

// @google/generative-ai: models made by the wrapped client send through keymux.
const model = mux.getGeminiClient('round-robin').getGenerativeModel({ model: 'gemini-2.0-flash' });
const result = await model.generateContent('Say hello.');
console.log(result.response.text());

const { stream } = await model.generateContentStream('Stream a few words.');
for await (const chunk of stream) process.stdout.write(chunk.text());
process.stdout.write('\n');

// @google/genai, its maintained successor, on the same keys.
const ai = mux.getGenAIClient('round-robin');
const answer = await ai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'Say hello again.' });
console.log(answer.text);

await mux.close();
await emulator.close();
