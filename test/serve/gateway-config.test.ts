import { describe, expect, it } from 'vitest';
import { Multiplexer } from '../../src/multiplexer.js';
import { loadGatewayMultiplexer } from '../../src/serve/gateway-config.js';

const env = { OPENAI_API_KEYS: 'sk-config-test-0123456789abcdef' };

async function intervalOf(
  environment: Record<string, string>,
  healthCheckInterval?: number,
): Promise<number | undefined> {
  const pool = await loadGatewayMultiplexer(undefined, environment, { healthCheckInterval });
  try {
    return pool.mux.options.healthCheckInterval;
  } finally {
    await pool.close();
  }
}

describe('the multiplexer keymux serve runs', () => {
  it('checks keys every 60 s by default; the flag, then KEYMUX_HEALTH_CHECK_INTERVAL, say otherwise', async () => {
    expect(await intervalOf(env)).toBe(60_000);
    expect(await intervalOf({ ...env, KEYMUX_HEALTH_CHECK_INTERVAL: '5000' })).toBe(5000);
    expect(await intervalOf({ ...env, KEYMUX_HEALTH_CHECK_INTERVAL: '5000' }, 0)).toBe(0);
    expect(await intervalOf(env, 1500)).toBe(1500);
    // The library alone never checks unless asked.
    expect(new Multiplexer().options.healthCheckInterval).toBeUndefined();
    expect(Multiplexer.fromEnv(env).options.healthCheckInterval).toBeUndefined();
  });

  it('uses Redis when given a URL, by option or KEYMUX_REDIS_URL, and memory otherwise', async () => {
    const plain = await loadGatewayMultiplexer(undefined, env);
    expect(plain.mux.storeMode).toBe('memory');
    await plain.close();
    // Nothing listens on port 1: the store answers locally (degraded) rather than failing the start.
    for (const pool of [
      await loadGatewayMultiplexer(undefined, env, { redisUrl: 'redis://127.0.0.1:1' }),
      await loadGatewayMultiplexer(undefined, { ...env, KEYMUX_REDIS_URL: 'redis://127.0.0.1:1' }),
    ]) {
      expect(pool.mux.storeMode).not.toBe('memory');
      await pool.close();
    }
  });
});
