// 1 000 chat completions through getOpenAIClient('least-loaded') on four emulated keys, then the
// usage stats: `npx tsx examples/batch-1000.ts`.
import 'keymux/openai';
import { Multiplexer } from 'keymux';
import { baseUrlFor, startEmulator } from 'keymux/emulator';

const keys = Array.from({ length: 4 }, (_, i) => ({ key: `sk-example-batch-key-000${i}`, name: `key-${i}` }));
const emulator = await startEmulator({ keys, defaultLimits: { rpm: 6000, tpm: 2_000_000 } });
const mux = new Multiplexer({ maxConcurrentRequests: 8, queueSize: 1000 });
for (const { key, name } of keys) {
  mux.addOpenAIKey(name, key, { baseURL: baseUrlFor('openai', emulator.url) });
}

const openai = mux.getOpenAIClient('least-loaded');
const started = Date.now();
const results = await Promise.allSettled(
  Array.from({ length: 1000 }, (_, i) =>
    openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `Request number ${i}: say something short.` }],
      max_tokens: 16,
    }),
  ),
);
const ok = results.filter((r) => r.status === 'fulfilled').length;
console.log(`${ok} of ${results.length} succeeded in ${Date.now() - started} ms`);
console.log('served per key:', emulator.ledger.countByKey());
console.log(JSON.stringify(mux.getUsageStats(), null, 2));

await mux.close();
await emulator.close();
