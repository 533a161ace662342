// Three OpenAI keys used as one, against the embedded emulator: `npx tsx examples/openai.ts`.
import 'keymux/openai';
import { Multiplexer } from 'keymux';
import { baseUrlFor, startEmulator } from 'keymux/emulator';

const keys = ['sk-example-openai-key-0001', 'sk-example-openai-key-0002', 'sk-example-openai-key-0003'];
const emulator = await startEmulator({ keys: keys.map((key, i) => ({ key, name: `key-${i}` })) });
const mux = new Multiplexer();
for (const [i, apiKey] of keys.entries()) {
  mux.addOpenAIKey(`key-${i}`, apiKey, { baseURL: baseUrlFor('openai', emulator.url) });
}

const openai = mux.getOpenAIClient('round-robin');
const reply = await openai.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello.' }],
  max_tokens: 20,
});
console.log(reply.choices[0]?.message.content);

// A stream holds its key's slot until it is consumed.
const stream = await openai.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Stream a few words.' }],
  stream: true,
});
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta.content ?? '');
process.stdout.write('\n');

console.log(
  JSON.stringify(
    mux.getUsageStats().providers.openai?.keys.map((k) => [k.name, k.requests]),
    null,
    0,
  ),
);
await mux.close();
await emulator.close();
