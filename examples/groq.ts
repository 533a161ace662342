// Two Groq keys used as one, against the embedded emulator: `npx tsx examples/groq.ts`.
// Groq's headers count requests per day: keymux learns that limit from the first response.
import 'keymux/groq';
import { Multiplexer } from 'keymux';
import { baseUrlFor, startEmulator } from 'keymux/emulator';

const keys = ['gsk-example-groq-key-0001', 'gsk-example-groq-key-0002'];
const emulator = await startEmulator({
  keys: keys.map((key, i) => ({ key, name: `key-${i}` })),
  defaultLimits: { rpd: 14_400, tpm: 6000 },
});
const mux = new Multiplexer();
for (const [i, apiKey] of keys.entries()) {
  mux.addGroqKey(`key-${i}`, apiKey, { baseURL: baseUrlFor('groq', emulator.url) });
}

const groq = mux.getGroqClient();
const reply = await groq.chat.completions.create({
  model: 'llama-3.1-8b-instant',
  messages: [{ role: 'user', content: 'Say hello.' }],
  max_tokens: 20,
});
console.log(reply.choices[0]?.message.content);
console.log('learned limits:', mux.getUsageStats().providers.groq?.keys[0]?.limits);

await mux.close();
await emulator.close();
