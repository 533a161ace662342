import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { EMPTY_BUCKETS } from '../../src/core/usage-buckets.js';
import table from '../../src/spend/price-table.json' with { type: 'json' };
import { batchPrice, costOf, PriceBook, priceRatio, validatePrices } from '../../src/spend/prices.js';

describe('the built-in price table', () => {
  it('every entry has a source URL and a date, and only real prices', () => {
    for (const [model, entry] of Object.entries(table.models)) {
      expect(entry.source, model).toMatch(/^https:\/\//);
      expect(entry.date, model).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(entry.input, model).toBeGreaterThan(0);
      expect(entry.output, model).toBeGreaterThan(entry.input);
    }
  });

  it('finds a dated snapshot under its alias; a model in no table has no price', () => {
    const book = new PriceBook();
    expect(book.lookup('claude-sonnet-4-5-20250929')?.input).toBe(3);
    expect(book.lookup('claude-3-5-haiku-20241022')?.batchInput).toBe(0.4);
    expect(book.lookup('claude-3-5-haiku-latest')?.input).toBe(0.8);
    expect(book.lookup('gpt-unknown')).toBeUndefined();
    expect(costOf({ ...EMPTY_BUCKETS, uncachedInput: 10 }, book.lookup('gpt-unknown'))).toBeNull();
  });

  it('holds OpenAI, Gemini and Groq models; a third-party source says so; batch prices are half where documented', () => {
    const entries = Object.entries(table.models) as [string, Record<string, unknown>][];
    for (const provider of ['openai', 'gemini', 'groq']) {
      const rows = entries.filter(([, e]) => e.provider === provider);
      expect(rows.length, provider).toBeGreaterThan(5);
      for (const [model, e] of rows) expect(e.source, model).toMatch(/third-party, from https:\/\//);
    }
    for (const [model, e] of entries) {
      if (e.provider !== 'openai' && e.provider !== 'gemini' && e.batchSource === undefined) continue;
      expect(e.batchSource, model).toMatch(/^https:\/\//);
      expect(e.batchInput, model).toBe((e.input as number) / 2);
      expect(e.batchOutput, model).toBe((e.output as number) / 2);
    }
    const book = new PriceBook();
    expect(book.lookup('models/gemini-2.5-flash')?.output).toBe(2.5);
    expect(book.lookup('openai/gpt-oss-120b')).toMatchObject({ input: 0.15, output: 0.6 });
    expect(book.lookup('gpt-4.1-mini-2025-04-14')).toMatchObject({ input: 0.4, batchInput: 0.2 });
  });

  it("a dated snapshot priced apart is not given its alias's price", () => {
    const book = new PriceBook();
    expect(book.lookup('gpt-4o-2024-05-13')).toMatchObject({ input: 5, output: 15 });
    expect(book.lookup('gpt-4o-2024-08-06')).toMatchObject({ input: 2.5, output: 10 });
  });

  it('Gemini 2.5 Pro: a prompt over 200k tokens is priced at the long-context tier, in a batch at half of it', () => {
    const pro = new PriceBook().lookup('gemini-2.5-pro');
    const short = { ...EMPTY_BUCKETS, uncachedInput: 200_000, output: 1_000_000 };
    const long = { ...short, uncachedInput: 400_000 };
    expect(costOf(short, pro)).toBeCloseTo(0.2 * 1.25 + 10, 12);
    expect(costOf(long, pro)).toBeCloseTo(0.4 * 2.5 + 15, 12);
    expect(costOf(long, pro, { batch: true })).toBeCloseTo((0.4 * 2.5 + 15) / 2, 12);
  });

  it('`prices` overrides and extends the table', () => {
    const book = new PriceBook({
      'my-finetune': { input: 3, output: 12 },
      'claude-haiku-4-5': { input: 2, output: 4 },
    });
    expect(book.lookup('my-finetune')?.output).toBe(12);
    expect(book.lookup('models/my-finetune')?.output).toBe(12);
    expect(book.lookup('claude-haiku-4-5')?.input).toBe(2);
  });
});

describe('costOf', () => {
  const sonnet = new PriceBook().lookup('claude-sonnet-4-5');

  it('prices each bucket once (cache reads at their own price, never also as input)', () => {
    const buckets = {
      ...EMPTY_BUCKETS,
      uncachedInput: 40,
      cacheRead: 1000,
      cacheWrite: 200,
      cacheWrite1h: 100,
      output: 300,
    };
    // 40×3 + 1000×0.3 + 200×3.75 + 100×6 + 300×15, per million
    expect(costOf(buckets, sonnet)).toBeCloseTo((120 + 300 + 750 + 600 + 4500) / 1e6, 12);
  });

  it('reasoning tokens are billed at the output price', () => {
    expect(costOf({ ...EMPTY_BUCKETS, reasoning: 1_000_000 }, sonnet)).toBe(15);
  });

  it('a bucket with tokens and no price makes the cost unknown, not 0', () => {
    expect(costOf({ ...EMPTY_BUCKETS, cacheRead: 5 }, { input: 1, output: 2 })).toBeNull();
    expect(costOf({ ...EMPTY_BUCKETS, uncachedInput: 5 }, { input: 1, output: 2 })).toBe(5e-6);
  });

  it('batch prices where the table has them', () => {
    const haiku = new PriceBook().lookup('claude-3-5-haiku');
    const usage = { ...EMPTY_BUCKETS, uncachedInput: 1e6, output: 1e6 };
    expect(costOf(usage, haiku, { batch: true })).toBe(2.4);
    expect(costOf(usage, haiku, true)).toBe(2.4);
    expect(costOf(usage, batchPrice(haiku))).toBe(2.4);
    expect(costOf(usage, haiku)).toBe(4.8);
  });

  it('a prompt past the long-context threshold prices every token at the long-context prices', () => {
    const price = { input: 1, output: 10, longContext: { above: 200_000, input: 2, output: 15 } };
    expect(costOf({ ...EMPTY_BUCKETS, uncachedInput: 200_000, output: 1000 }, price)).toBeCloseTo(0.21, 12);
    expect(costOf({ ...EMPTY_BUCKETS, uncachedInput: 200_001, output: 1000 }, price)).toBeCloseTo(
      0.415002,
      12,
    );
  });
});

describe('validatePrices', () => {
  it('names the bad field', () => {
    expect(() => validatePrices({ m: { input: 1 } })).toThrow(ConfigError);
    expect(() => validatePrices({ m: { input: 1 } })).toThrow('prices.m.output');
    expect(() => validatePrices({ m: { input: -1, output: 1 } })).toThrow('prices.m.input');
    expect(() => validatePrices([])).toThrow('prices');
  });
});

describe('priceRatio', () => {
  it('is the larger of the input and output ratios; null when a price is unknown', () => {
    expect(priceRatio('claude-haiku-4-5', 'claude-sonnet-4-5')).toBe(3);
    expect(priceRatio('claude-sonnet-4-5', 'claude-haiku-4-5')).toBeCloseTo(1 / 3, 12);
    expect(priceRatio('claude-haiku-4-5', 'gpt-x')).toBeNull();
    expect(priceRatio('a', 'b', { a: { input: 1, output: 2 }, b: { input: 1.5, output: 8 } })).toBe(4);
  });
});
