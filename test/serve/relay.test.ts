import type { ServerResponse } from 'node:http';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SecretScrubber } from '../../src/core/redact.js';
import type { JobResult } from '../../src/serve/gateway-job.js';
import { relayStream } from '../../src/serve/relay.js';
import type { UpstreamResponse } from '../../src/serve/upstream.js';

const CHUNKS = 100;
const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A client socket that takes one chunk and then holds every write until `release` is called. */
function slowClient() {
  const written: Buffer[] = [];
  const held: Array<() => void> = [];
  const socket = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk);
      held.push(() => done());
    },
  });
  const raw = Object.assign(socket, { writeHead: () => raw, flushHeaders: () => undefined });
  return {
    raw: raw as unknown as ServerResponse,
    written,
    release: () => {
      for (const done of held.splice(0)) done();
    },
  };
}

function upstreamStream(): { body: Readable; pulled: () => number } {
  let pulled = 0;
  const body = new Readable({
    highWaterMark: 1,
    read() {
      pulled++;
      const usage = pulled === CHUNKS ? ',"usage":{"prompt_tokens":3,"completion_tokens":99}' : '';
      this.push(Buffer.from(`data: {"n":${pulled}${usage}}\n\n`));
      if (pulled === CHUNKS) this.push(null);
    },
  });
  return { body, pulled: () => pulled };
}

describe('relayStream', () => {
  it('reads the upstream only as fast as the client takes it (backpressure), then ends and reports usage', async () => {
    const { body, pulled } = upstreamStream();
    const client = slowClient();
    let usage: unknown = 'not finished';
    const response: UpstreamResponse = {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      body: body as UpstreamResponse['body'],
    };
    const result: Extract<JobResult, { kind: 'stream' }> = {
      kind: 'stream',
      response,
      key: { provider: 'openai', name: 'a', label: '****' },
      finish: (u) => {
        usage = u;
      },
    };
    const observer = {
      queueWait: () => undefined,
      firstToken: () => undefined,
      model: () => undefined,
      response: () => undefined,
    };
    const deps = { observer, scrubber: new SecretScrubber() };
    const relayed = relayStream(result, client.raw, performance.now(), deps, 'openai');
    await ticks(20);
    // The client took one chunk and holds it: the relay waits, and so does the upstream read.
    expect(client.written.length).toBeLessThanOrEqual(2);
    expect(pulled()).toBeLessThanOrEqual(6);
    expect(usage).toBe('not finished');
    for (let i = 0; i < CHUNKS * 2 && usage === 'not finished'; i++) {
      client.release();
      await ticks(2);
    }
    await relayed;
    // What the relay handed to the socket before it ended reaches the client as the socket drains.
    for (let i = 0; i < CHUNKS; i++) {
      client.release();
      await ticks(1);
    }
    const events = Buffer.concat(client.written)
      .toString()
      .split('\n\n')
      .filter((e) => e !== '');
    expect(events).toHaveLength(CHUNKS);
    expect(events.at(-1)).toContain('"n":100');
    expect(usage).toMatchObject({ inputTokens: 3, outputTokens: 99 });
  });
});
