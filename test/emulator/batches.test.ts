import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { baseUrlFor, type EmulatorOptions } from '../../src/emulator/index.js';
import { emulatorFor, KEY_A, KEY_B, testClock } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const HOUR = 3_600_000;

/** A line of an output or error file, as the Batch guide shows it. */
interface OutputLine {
  custom_id: string;
  response: {
    status_code: number;
    body: {
      object?: string;
      usage: { completion_tokens: number };
      error: { type: string };
    };
  } | null;
  error: { code: string; message: string } | null;
}

async function setup(batches: EmulatorOptions['batches'] = {}) {
  const clock = testClock(Date.parse('2026-01-01T00:00:00Z'));
  const emulator = await emulatorFor(
    {
      keys: [
        { key: KEY_A, name: 'a' },
        { key: KEY_B, name: 'b' },
      ],
      now: clock.now,
      batches: { validatingMs: 60_000, processingMs: HOUR, finalizingMs: 60_000, ...batches },
    },
    closers,
  );
  const openai = new OpenAI({ apiKey: KEY_A, baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
  const other = new OpenAI({ apiKey: KEY_B, baseURL: baseUrlFor('openai', emulator.url), maxRetries: 0 });
  const anthropic = new Anthropic({
    apiKey: KEY_A,
    baseURL: baseUrlFor('anthropic', emulator.url),
    maxRetries: 0,
  });
  return { clock, emulator, openai, other, anthropic };
}

function jsonl(n: number, model = 'gpt-emu'): string {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      custom_id: `job-${i}`,
      method: 'POST',
      url: '/v1/chat/completions',
      body: { model, messages: [{ role: 'user', content: `question ${i}` }], max_tokens: 30 },
    }),
  ).join('\n');
}

async function upload(openai: OpenAI, text: string) {
  return openai.files.create({ file: await toFile(Buffer.from(text), 'in.jsonl'), purpose: 'batch' });
}

const lines = async (openai: OpenAI, id: string | undefined) =>
  id === undefined
    ? []
    : (await (await openai.files.content(id)).text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as OutputLine);

describe('emulator: OpenAI Files and Batches through the openai SDK', () => {
  it('uploads, validates, runs, finalizes and completes; output lines carry custom_id and a chat completion', async () => {
    const { clock, openai, other, emulator } = await setup();
    const file = await upload(openai, jsonl(4));
    expect(file).toMatchObject({
      object: 'file',
      purpose: 'batch',
      filename: 'in.jsonl',
      status: 'processed',
    });
    const created = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(created).toMatchObject({ object: 'batch', status: 'validating', request_counts: { total: 4 } });
    clock.advance(60_000);
    expect((await openai.batches.retrieve(created.id)).status).toBe('in_progress');
    clock.advance(HOUR / 2);
    const half = await openai.batches.retrieve(created.id);
    expect(half.request_counts).toEqual({ total: 4, completed: 2, failed: 0 });
    clock.advance(HOUR / 2);
    expect((await openai.batches.retrieve(created.id)).status).toBe('finalizing');
    clock.advance(60_000);
    const done = await openai.batches.retrieve(created.id);
    expect(done).toMatchObject({
      status: 'completed',
      request_counts: { total: 4, completed: 4, failed: 0 },
    });
    expect(done.error_file_id).toBeUndefined();
    const out = await lines(openai, done.output_file_id);
    expect(out.map((l) => l.custom_id)).toEqual(['job-0', 'job-1', 'job-2', 'job-3']);
    expect(out[0]).toMatchObject({
      response: { status_code: 200, body: { object: 'chat.completion' } },
      error: null,
    });
    expect(out[0]?.response?.body.usage.completion_tokens).toBeGreaterThan(0);
    // Another organization's key sees neither the batch nor its files; the list pages newest first.
    await expect(other.batches.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(other.files.content(done.output_file_id!)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const page = await openai.batches.list({ limit: 10 });
    expect(page.data.map((b) => b.id)).toEqual([created.id]);
    // Batch lines are not charged to the synchronous limits, and the ledger of sync requests stays empty.
    expect(emulator.ledger.entries()).toHaveLength(0);
    expect(emulator.batches()).toEqual([
      expect.objectContaining({ id: created.id, key: 'a', customIds: ['job-0', 'job-1', 'job-2', 'job-3'] }),
    ]);
  });

  it('failed and expired lines go to the error file; a batch with expired lines ends `expired`', async () => {
    const { clock, openai } = await setup({ failRate: 0.25, expireRate: 0.25 });
    const file = await upload(openai, jsonl(40));
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    clock.advance(2 * HOUR);
    const ended = await openai.batches.retrieve(batch.id);
    expect(ended.status).toBe('expired');
    expect(ended.expired_at).toBeTypeOf('number');
    const out = await lines(openai, ended.output_file_id);
    const errors = await lines(openai, ended.error_file_id);
    expect(out.length + errors.length).toBe(40);
    expect(new Set([...out, ...errors].map((l) => l.custom_id)).size).toBe(40);
    const expired = errors.filter((l) => l.error?.code === 'batch_expired');
    const failed = errors.filter((l) => l.response?.status_code === 500);
    expect(expired.length).toBeGreaterThan(0);
    expect(failed.length).toBeGreaterThan(0);
    expect(expired.length + failed.length).toBe(errors.length);
    expect(failed[0]?.response?.body.error.type).toBe('server_error');
    expect(ended.request_counts).toEqual({ total: 40, completed: out.length, failed: errors.length });
  });

  it('cancel: cancelling, then cancelled with the lines done so far; refuses bad input with 400s', async () => {
    const { clock, openai } = await setup();
    const file = await upload(openai, jsonl(10));
    const batch = await openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    clock.advance(60_000 + (HOUR * 3) / 10);
    expect((await openai.batches.cancel(batch.id)).status).toBe('cancelling');
    clock.advance(60_000);
    const cancelled = await openai.batches.retrieve(batch.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await lines(openai, cancelled.output_file_id)).length).toBe(3);
    const rest = await lines(openai, cancelled.error_file_id);
    expect(rest.map((l) => l.error?.code)).toEqual(Array(7).fill('batch_cancelled'));
    await expect(
      openai.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '1h' as '24h',
      }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const bad = await upload(openai, `${jsonl(1)}\n${jsonl(1)}`);
    const dup = await openai.batches.create({
      input_file_id: bad.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    clock.advance(60_000);
    const failed = await openai.batches.retrieve(dup.id);
    expect(failed.status).toBe('failed');
    expect(failed.errors?.data?.[0]?.message).toContain('duplicate');
  });
});

describe('emulator: Anthropic Message Batches through @anthropic-ai/sdk', () => {
  const request = (i: number) => ({
    custom_id: `job-${i}`,
    params: {
      model: 'claude-emulated',
      max_tokens: 30,
      messages: [{ role: 'user' as const, content: `question ${i}` }],
    },
  });

  it('processes, ends, and streams results with every result type', async () => {
    const { clock, anthropic } = await setup({ failRate: 0.2, expireRate: 0.2 });
    const batch = await anthropic.messages.batches.create({
      requests: Array.from({ length: 30 }, (_, i) => request(i)),
    });
    expect(batch).toMatchObject({
      type: 'message_batch',
      processing_status: 'in_progress',
      results_url: null,
    });
    expect(batch.request_counts.processing).toBe(30);
    await expect(anthropic.messages.batches.results(batch.id)).rejects.toThrow(/results_url/);
    clock.advance(HOUR + 60_000);
    const ended = await anthropic.messages.batches.retrieve(batch.id);
    expect(ended.processing_status).toBe('ended');
    const counts = ended.request_counts;
    expect(counts.processing).toBe(0);
    expect(counts.succeeded + counts.errored + counts.expired + counts.canceled).toBe(30);
    expect(counts.errored).toBeGreaterThan(0);
    expect(counts.expired).toBeGreaterThan(0);
    const results = [];
    for await (const r of await anthropic.messages.batches.results(batch.id)) results.push(r);
    expect(new Set(results.map((r) => r.custom_id)).size).toBe(30);
    const ok = results.find((r) => r.result.type === 'succeeded');
    expect(ok?.result.type === 'succeeded' && ok.result.message.content[0]?.type).toBe('text');
    const errored = results.find((r) => r.result.type === 'errored');
    expect(errored?.result.type === 'errored' && errored.result.error.error.type).toBe('api_error');
    expect(results.filter((r) => r.result.type === 'expired')).toHaveLength(counts.expired);
  });

  it('cancel: canceling, then ended with the rest canceled; list; 400 on duplicates and 100 001 requests', async () => {
    const { clock, anthropic } = await setup();
    const batch = await anthropic.messages.batches.create({ requests: [request(0), request(1)] });
    clock.advance(HOUR / 2 + 1);
    expect((await anthropic.messages.batches.cancel(batch.id)).processing_status).toBe('canceling');
    clock.advance(60_000);
    const ended = await anthropic.messages.batches.retrieve(batch.id);
    expect(ended.request_counts).toMatchObject({ succeeded: 1, canceled: 1 });
    const listed = await anthropic.messages.batches.list();
    expect(listed.data.map((b) => b.id)).toEqual([batch.id]);
    await expect(
      anthropic.messages.batches.create({ requests: [request(0), request(0)] }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    // The count is checked before any line: bare lines keep the 100 001 cheap.
    const many = Array.from({ length: 100_001 }, (_, i) => ({ custom_id: `r${i}` }));
    await expect(anthropic.messages.batches.create({ requests: many as never })).rejects.toBeInstanceOf(
      Anthropic.BadRequestError,
    );
  });
});
