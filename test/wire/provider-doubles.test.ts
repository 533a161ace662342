import '../../src/openai.js';
import '../../src/anthropic.js';
import '../../src/genai.js';
import { afterEach, describe, expect, it } from 'vitest';
import { Multiplexer } from '../../src/multiplexer.js';
import {
  anthropicMessage,
  type Double,
  geminiResponse,
  json,
  openAIChat,
  openAIHeaders,
  RequestBucket,
  sleep,
  startDouble,
} from './doubles.js';

// keymux against hand-written doubles of the providers (test/wire/doubles.ts, from
// docs/provider-wire-facts.md), not against src/emulator: the behaviours the README promises, on the
// providers' own wire shapes. Times are read from the double's arrivals (Date.now()), and only as lower
// bounds: a slow machine makes requests later, never earlier.

const A = 'sk-double-aaaaaaaaaaaaaaaa';
const B = 'sk-double-bbbbbbbbbbbbbbbb';
const C = 'sk-double-cccccccccccccccc';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function double(handler: Parameters<typeof startDouble>[0]): Promise<Double> {
  const d = await startDouble(handler);
  closers.push(() => d.close());
  return d;
}

function mux(): Multiplexer {
  const m = new Multiplexer({ maxRetries: 5 });
  closers.push(() => m.close());
  return m;
}

const messages = [{ role: 'user' as const, content: 'hi' }];

describe('OpenAI, as OpenAI answers', () => {
  it('a batch submitted at once, the first key 429 on an empty bucket: it waits one refill, then serves its share', async () => {
    // 600 rpm per key (10 a second); A's bucket is empty at its first request (someone else used it),
    // B's and C's are full.
    const buckets = new Map<string, RequestBucket>();
    const bucketOf = (key: string, now: number) => {
      if (!buckets.has(key)) buckets.set(key, new RequestBucket(600, key === A ? 0 : 600, now));
      return buckets.get(key)!;
    };
    const limited: number[] = [];
    const d = await double(async (arrival, res) => {
      const { ok, headers } = bucketOf(arrival.key, arrival.at).takeOpenAI(arrival.at);
      if (!ok) {
        limited.push(arrival.at);
        // OpenAI's 429: rate_limit_exceeded, the x-ratelimit-* headers, no retry-after.
        json(
          res,
          429,
          {
            error: {
              message:
                'Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 600, Used 600, Requested 1. Please try again in 100ms.',
              type: 'requests',
              param: null,
              code: 'rate_limit_exceeded',
            },
          },
          headers,
        );
        return;
      }
      await sleep(150);
      json(res, 200, openAIChat(String(arrival.body.model)), headers);
    });
    const m = mux();
    for (const apiKey of [A, B, C])
      m.addKey('openai', { apiKey, baseURL: `${d.url}/v1`, maxConcurrentRequests: 2 });
    const openai = m.getOpenAIClient('least-loaded');
    const replies = await Promise.all(
      Array.from({ length: 60 }, () => openai.chat.completions.create({ model: 'gpt-4o-mini', messages })),
    );
    expect(replies.every((r) => r.choices[0]?.message.content === 'ok')).toBe(true);
    // One 429 (A's first request), then A's next request no sooner than one refill (100 ms) later, and A
    // back at work for the rest of the batch rather than stranded.
    expect(limited).toHaveLength(1);
    const onA = d.arrivals.filter((a) => a.key === A);
    expect(onA[1]!.at).toBeGreaterThanOrEqual(limited[0]! + 100 - 5);
    expect(onA.length).toBeGreaterThan(5);
    expect(d.arrivals).toHaveLength(61);
  });

  it('insufficient_quota takes the key out: it is asked once, every job is served by the others', async () => {
    const d = await double((arrival, res) => {
      if (arrival.key === A) {
        json(res, 429, {
          error: {
            message: 'You exceeded your current quota, please check your plan and billing details.',
            type: 'insufficient_quota',
            param: null,
            code: 'insufficient_quota',
          },
        });
        return;
      }
      json(res, 200, openAIChat(String(arrival.body.model)), openAIHeaders(9000, '20ms'));
    });
    const m = mux();
    m.addKey('openai', { apiKey: A, name: 'a', baseURL: `${d.url}/v1` });
    m.addKey('openai', { apiKey: B, name: 'b', baseURL: `${d.url}/v1` });
    const openai = m.getOpenAIClient('round-robin');
    for (let i = 0; i < 10; i++) await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(d.countOf(A)).toBe(1);
    expect(d.countOf(B)).toBe(10);
    const stats = JSON.stringify(m.getUsageStats());
    expect(stats).not.toContain(A);
    expect(stats).not.toContain(B);
  });

  it('a stream cut before its first content goes to another key; one cut after it throws from the iterator', async () => {
    const d = await double((arrival, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', ...openAIHeaders(9000, '20ms') });
      const chunk = (delta: Record<string, unknown>) =>
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
      // Cut once what was written has been sent: the client sees the chunks, then the connection reset.
      const cut = () => setTimeout(() => res.destroy(), 30);
      if (arrival.key === A) {
        res.write(chunk({ role: 'assistant', content: '' }), cut); // the start only: no content yet
        return;
      }
      res.write(chunk({ role: 'assistant', content: '' }));
      if (JSON.stringify(arrival.body.messages).includes('cut-late')) {
        res.write(chunk({ content: 'Hel' }), cut);
        return;
      }
      res.write(chunk({ content: 'Hel' }));
      res.write(chunk({ content: 'lo' }));
      res.end('data: [DONE]\n\n');
    });
    const m = mux();
    m.addKey('openai', { apiKey: A, name: 'a', baseURL: `${d.url}/v1` });
    m.addKey('openai', { apiKey: B, name: 'b', baseURL: `${d.url}/v1` });
    const rr = m.getOpenAIClient('round-robin');
    let text = '';
    const stream = await rr.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello');
    expect(d.countOf(A)).toBe(1);
    expect(d.countOf(B)).toBe(1);

    const late = await m.getOpenAIClient({ strategy: 'specific', keyName: 'b' }).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'cut-late' }],
      stream: true,
    });
    let got = '';
    const read = (async () => {
      for await (const c of late) got += c.choices[0]?.delta.content ?? '';
    })();
    await expect(read).rejects.toThrow();
    expect(got).toBe('Hel');
    expect(d.countOf(B)).toBe(2); // never retried once it gave content
  });
});

describe('Anthropic, as Anthropic answers', () => {
  it('remaining 0 with an RFC 3339 reset on a 200: the key waits for one request to refill, not for the reset', async () => {
    // A: 50 requests a minute (one back every 1.2 s), its bucket holding 1 at its first request, so it
    // answers remaining 0 with a reset a minute away (when the bucket is full again). B: 6000 a minute.
    const buckets = new Map<string, RequestBucket>();
    const d = await double(async (arrival, res) => {
      if (!buckets.has(arrival.key))
        buckets.set(
          arrival.key,
          arrival.key === A
            ? new RequestBucket(50, 1, arrival.at)
            : new RequestBucket(6000, 6000, arrival.at),
        );
      const { ok, headers } = buckets.get(arrival.key)!.takeAnthropic(arrival.at);
      if (!ok) {
        json(
          res,
          429,
          {
            type: 'error',
            error: {
              type: 'rate_limit_error',
              message: 'Number of requests has exceeded your per-minute rate limit',
            },
          },
          { ...headers, 'retry-after': '2' },
        );
        return;
      }
      await sleep(100);
      json(res, 200, anthropicMessage(String(arrival.body.model)), headers);
    });
    const m = mux();
    m.addKey('anthropic', { apiKey: A, name: 'a', baseURL: d.url, maxConcurrentRequests: 1 });
    m.addKey('anthropic', { apiKey: B, name: 'b', baseURL: d.url, maxConcurrentRequests: 2 });
    // A first request on a alone, so its reading lands before the batch.
    await m
      .getAnthropicClient({ strategy: 'specific', keyName: 'a' })
      .messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 10, messages });
    const first = d.arrivals[0]!.at;
    const claude = m.getAnthropicClient('least-loaded');
    const replies = await Promise.all(
      Array.from({ length: 60 }, () =>
        claude.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 10, messages }),
      ),
    );
    expect(replies).toHaveLength(60);
    const onA = d.arrivals.filter((a) => a.key === A);
    // No 429 anywhere; A back after one refill (1.2 s), well before its reset a minute away.
    expect(d.arrivals).toHaveLength(61);
    expect(onA[1]!.at).toBeGreaterThanOrEqual(first + 1200 - 5);
    expect(onA.length).toBeGreaterThanOrEqual(2);
  });

  it('529 overloaded on one key: the job moves to the other key and succeeds', async () => {
    const d = await double((arrival, res) => {
      if (arrival.key === A) {
        json(res, 529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
        return;
      }
      json(res, 200, anthropicMessage(String(arrival.body.model)));
    });
    const m = mux();
    m.addKey('anthropic', { apiKey: A, name: 'a', baseURL: d.url });
    m.addKey('anthropic', { apiKey: B, name: 'b', baseURL: d.url });
    const claude = m.getAnthropicClient('round-robin');
    for (let i = 0; i < 4; i++) {
      const reply = await claude.messages.create({
        model: 'claude-3-5-haiku-latest',
        max_tokens: 10,
        messages,
      });
      expect(reply.content[0]).toMatchObject({ type: 'text', text: 'ok' });
    }
    expect(d.countOf(B)).toBe(4);
  });
});

describe('Gemini, as Gemini answers', () => {
  it('429 RESOURCE_EXHAUSTED with RetryInfo and no rate-limit headers: that key waits the retryDelay', async () => {
    let limitedAt = 0;
    const d = await double(async (arrival, res) => {
      if (arrival.key === A && arrival.n === 1) {
        limitedAt = arrival.at;
        json(res, 429, {
          error: {
            code: 429,
            message:
              'You exceeded your current quota, please check your plan and billing details. Please retry in 2.41s.',
            status: 'RESOURCE_EXHAUSTED',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
                violations: [
                  {
                    quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
                    quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
                    quotaDimensions: { location: 'global', model: 'gemini-2.0-flash' },
                    quotaValue: '10',
                  },
                ],
              },
              { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' },
            ],
          },
        });
        return;
      }
      await sleep(100);
      json(res, 200, geminiResponse('gemini-2.0-flash'));
    });
    const m = mux();
    m.addKey('gemini', { apiKey: A, name: 'a', baseURL: d.url, maxConcurrentRequests: 2 });
    m.addKey('gemini', { apiKey: B, name: 'b', baseURL: d.url, maxConcurrentRequests: 2 });
    const ai = m.getGenAIClient('least-loaded');
    const replies = await Promise.all(
      Array.from({ length: 20 }, () =>
        ai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'hi' }),
      ),
    );
    expect(replies.every((r) => r.text === 'ok')).toBe(true);
    const laterOnA = d.arrivals.filter((a) => a.key === A && a.n > 1);
    expect(laterOnA.every((a) => a.at >= limitedAt + 2000 - 5)).toBe(true);
    expect(d.countOf(B)).toBeGreaterThan(0);
    expect(d.arrivals).toHaveLength(21);
  });

  it('a daily quota (a PerDay quotaId, no RetryInfo) takes the key out: it is asked once, the others serve', async () => {
    const d = await double((arrival, res) => {
      if (arrival.key === A) {
        json(res, 429, {
          error: {
            code: 429,
            message: 'You exceeded your current quota, please check your plan and billing details.',
            status: 'RESOURCE_EXHAUSTED',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
                violations: [
                  {
                    quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
                    quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
                    quotaDimensions: { location: 'global', model: 'gemini-2.0-flash' },
                    quotaValue: '200',
                  },
                ],
              },
              {
                '@type': 'type.googleapis.com/google.rpc.Help',
                links: [
                  { description: 'Learn more', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' },
                ],
              },
            ],
          },
        });
        return;
      }
      json(res, 200, geminiResponse('gemini-2.0-flash'));
    });
    const m = mux();
    m.addKey('gemini', { apiKey: A, name: 'a', baseURL: d.url });
    m.addKey('gemini', { apiKey: B, name: 'b', baseURL: d.url });
    const ai = m.getGenAIClient('round-robin');
    for (let i = 0; i < 6; i++)
      await ai.models.generateContent({ model: 'gemini-2.0-flash', contents: 'hi' });
    expect(d.countOf(A)).toBe(1);
    expect(d.countOf(B)).toBe(6);
    expect(m.getUsageStats().providers.gemini?.keys.find((k) => k.name === 'a')).toMatchObject({
      requests: 1,
    });
  });
});

describe('Anthropic credit and auth', () => {
  it('"credit balance is too low" (a 400) and a 401 take their keys out; the job goes to the third key', async () => {
    const d = await double((arrival, res) => {
      if (arrival.key === A) {
        json(res, 400, {
          type: 'error',
          error: {
            type: 'invalid_request_error',
            message:
              'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.',
          },
        });
        return;
      }
      if (arrival.key === B) {
        json(res, 401, {
          type: 'error',
          error: { type: 'authentication_error', message: 'invalid x-api-key' },
        });
        return;
      }
      json(res, 200, anthropicMessage(String(arrival.body.model)));
    });
    const m = mux();
    for (const [name, apiKey] of [
      ['a', A],
      ['b', B],
      ['c', C],
    ] as const)
      m.addKey('anthropic', { apiKey, name, baseURL: d.url });
    const claude = m.getAnthropicClient('round-robin');
    for (let i = 0; i < 6; i++)
      await claude.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 10, messages });
    expect(d.countOf(A)).toBe(1);
    expect(d.countOf(B)).toBe(1);
    expect(d.countOf(C)).toBe(6);
    const text = JSON.stringify(m.getUsageStats());
    for (const key of [A, B, C]) expect(text).not.toContain(key);
  });
});
