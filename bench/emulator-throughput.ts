/**
 * Throughput of the emulator itself at zero latency: how many chat completions a second it answers to the
 * official `openai` SDK (and, for comparison, streamed ones and bare keep-alive HTTP). The SDK and the
 * emulator share one process and one core here, so this is a floor, not the server's ceiling.
 * Run: npx tsx bench/emulator-throughput.ts   (REQUESTS=5000 CONCURRENCY=32 to change the load)
 */
import { Agent, request } from 'node:http';
import OpenAI from 'openai';
import { baseUrlFor, startEmulator } from '../src/emulator/index.js';

const REQUESTS = Number(process.env.REQUESTS ?? 5_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const KEY = 'sk-bench-0000000000000000';
const messages = [{ role: 'user' as const, content: 'How fast can you answer?' }];

async function measure(name: string, call: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next++ < REQUESTS) await call();
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const perSecond = REQUESTS / ((performance.now() - start) / 1000);
  console.log(`${name.padEnd(34)} ${perSecond.toFixed(0).padStart(7)} req/s`);
  return perSecond;
}

const emulator = await startEmulator({
  keys: [{ key: KEY, name: 'bench' }],
  defaultLimits: {},
  latency: { kind: 'none' },
  outputTokens: { min: 16, max: 16 },
});
const client = new OpenAI({ apiKey: KEY, baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const body = JSON.stringify({ model: 'gpt-4o-mini', messages });
const { port } = new URL(emulator.url);

const bareHttp = (): Promise<void> =>
  new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/chat/completions',
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      },
      (res) => res.resume().on('end', resolve),
    );
    req.on('error', reject).end(body);
  });

console.log(`emulator throughput, 0 ms latency, ${REQUESTS} requests, ${CONCURRENCY} in flight`);
await measure('warm-up (openai SDK)', () =>
  client.chat.completions.create({ model: 'gpt-4o-mini', messages }),
);
await measure('openai SDK, chat.completions', () =>
  client.chat.completions.create({ model: 'gpt-4o-mini', messages }),
);
await measure('openai SDK, streamed (16 chunks)', async () => {
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
  for await (const _chunk of stream);
});
await measure('bare node:http keep-alive', bareHttp);
const lost = emulator.ledger.size - 4 * REQUESTS;
console.log(
  `ledger: ${emulator.ledger.size} entries (${lost === 0 ? 'none lost' : `${lost} unaccounted`}), statuses ${JSON.stringify(emulator.ledger.countByStatus())}`,
);
agent.destroy();
await emulator.close();
