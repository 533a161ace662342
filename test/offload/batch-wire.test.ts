import { describe, expect, it } from 'vitest';
import { type Submission, SubmitUnknownError, submitBatch } from '../../src/offload/batch-wire.js';

/** An OpenAI-shaped client whose first batch create is made but its answer lost (a timeout). */
function flakyOpenAI() {
  const made: { id: string; metadata: Record<string, string> }[] = [];
  let creates = 0;
  return {
    made,
    client: {
      files: { create: async () => ({ id: 'file-1' }) },
      batches: {
        create: async (p: { metadata: Record<string, string> }) => {
          made.push({ id: `batch_${made.length}`, metadata: p.metadata });
          if (creates++ === 0) throw new Error('timed out');
          return { id: made.at(-1)!.id };
        },
        list: async () => ({ data: [...made].reverse() }),
      },
    },
  };
}

const lines = [{ customId: 'a', body: { model: 'm' } }];

describe('submitBatch across retried attempts', () => {
  it('OpenAI: a retry on the same key finds the batch its lost create made; no second batch', async () => {
    const { client, made } = flakyOpenAI();
    const submission: Submission = { id: 's1', createSent: false, key: undefined };
    await expect(submitBatch('openai', client, lines, submission, 'k1')).rejects.toThrow('timed out');
    expect(await submitBatch('openai', client, lines, submission, 'k1')).toBe('batch_0');
    expect(made).toHaveLength(1);
  });

  it('a retry on another key, or on Anthropic, does not create again: SubmitUnknownError', async () => {
    const { client, made } = flakyOpenAI();
    const submission: Submission = { id: 's2', createSent: false, key: undefined };
    await expect(submitBatch('openai', client, lines, submission, 'k1')).rejects.toThrow('timed out');
    await expect(submitBatch('openai', client, lines, submission, 'k2')).rejects.toBeInstanceOf(
      SubmitUnknownError,
    );
    expect(made).toHaveLength(1);
    const anthropic = {
      messages: { batches: { create: async () => Promise.reject(new Error('timed out')) } },
    };
    const other: Submission = { id: 's3', createSent: false, key: undefined };
    await expect(submitBatch('anthropic', anthropic, lines, other, 'k1')).rejects.toThrow('timed out');
    await expect(submitBatch('anthropic', anthropic, lines, other, 'k1')).rejects.toBeInstanceOf(
      SubmitUnknownError,
    );
  });
});
