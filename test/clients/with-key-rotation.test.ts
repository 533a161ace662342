import { describe, expect, it } from 'vitest';
import { withKeyRotation } from '../../src/clients/with-key-rotation.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { createGenericAdapter } from '../../src/providers/generic.js';

describe('withKeyRotation', () => {
  it('runs fn(apiKey, …args) with rotating keys and fails over on a retryable error', async () => {
    const mux = new Multiplexer({ initialRetryDelay: 1 });
    mux.registerProvider(createGenericAdapter({ name: 'acme' }));
    mux.addKey('acme', { name: 'one', apiKey: 'acme-key-one-000000' });
    mux.addKey('acme', { name: 'two', apiKey: 'acme-key-two-000000' });
    const seen: string[] = [];
    const call = withKeyRotation(
      mux,
      'acme',
      async (apiKey: string, n: number) => {
        seen.push(apiKey);
        if (apiKey.includes('one') && n === 3) throw Object.assign(new Error('busy'), { status: 503 });
        return n * 2;
      },
      'round-robin',
    );
    expect(await Promise.all([call(1), call(2)])).toEqual([2, 4]);
    expect(await call(3)).toBe(6);
    expect(seen).toEqual([
      'acme-key-one-000000',
      'acme-key-two-000000',
      'acme-key-one-000000',
      'acme-key-two-000000',
    ]);
    await mux.close();
  });
});
