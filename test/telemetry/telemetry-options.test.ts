import { afterEach, describe, expect, it, vi } from 'vitest';
import { readEnv } from '../../src/config/env.js';
import { resolveOptions } from '../../src/config/resolve.js';
import { ConfigError } from '../../src/core/errors.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the telemetry option', () => {
  it('is on without content by default; false turns it off; captureContent opts in', () => {
    expect(resolveOptions().telemetry).toEqual({ captureContent: false });
    expect(resolveOptions({ telemetry: false }).telemetry).toBe(false);
    expect(resolveOptions({ telemetry: { captureContent: true } }).telemetry).toEqual({
      captureContent: true,
    });
  });

  it('KEYMUX_TELEMETRY=0 (false, off) turns it off for every multiplexer of the process', () => {
    for (const value of ['0', 'false', 'OFF']) {
      vi.stubEnv('KEYMUX_TELEMETRY', value);
      expect(resolveOptions({ telemetry: { captureContent: true } }).telemetry).toBe(false);
    }
    vi.stubEnv('KEYMUX_TELEMETRY', '1');
    expect(resolveOptions().telemetry).toEqual({ captureContent: false });
  });

  it('fromEnv reads KEYMUX_TELEMETRY from the environment it is given', () => {
    expect(readEnv({ KEYMUX_TELEMETRY: '0' }).options.telemetry).toBe(false);
    expect(readEnv({}).options.telemetry).toBeUndefined();
  });

  it('anything else is a ConfigError naming the field', () => {
    for (const bad of [true, 'off', { captureContent: 'yes' }, { capture: true }]) {
      expect(() => resolveOptions({ telemetry: bad as never })).toThrow(ConfigError);
    }
    expect(() => resolveOptions({ telemetry: 'off' as never })).toThrow(/telemetry/);
  });
});
