// Two Anthropic keys used as one, against the embedded emulator: `npx tsx examples/anthropic.ts`.
import 'keymux/anthropic';
import { Multiplexer } from 'keymux';
import { baseUrlFor, startEmulator } from 'keymux/emulator';

const keys = ['sk-ant-example-key-00001', 'sk-ant-example-key-00002'];
const emulator = await startEmulator({ keys: keys.map((key, i) => ({ key, name: `key-${i}` })) });
const mux = new Multiplexer();
for (const [i, apiKey] of keys.entries()) {
  mux.addAnthropicKey(`key-${i}`, apiKey, { baseURL: baseUrlFor('anthropic', emulator.url) });
}

const anthropic = mux.getAnthropicClient('least-loaded');
const message = await anthropic.messages.create({
  model: 'claude-3-5-haiku-latest',
  max_tokens: 64,
  messages: [{ role: 'user', content: 'Say hello.' }],
});
const first = message.content[0];
console.log(first?.type === 'text' ? first.text : first);
console.log(message.usage);

await mux.close();
await emulator.close();
