import { describe, expectTypeOf, it } from 'vitest';
import type { KeyPool } from '../../src/dispatch/key-registry.js';
import type { KeyCheck, KeyWorker } from '../../src/dispatch/key-worker.js';

describe('a key’s face (issue 23)', () => {
  it('KeyWorker shows the layers above the dispatcher only enable, disable, reset, readyAt, stats and its ref', () => {
    expectTypeOf<keyof KeyWorker>().toEqualTypeOf<
      'ref' | 'enable' | 'disable' | 'reset' | 'readyAt' | 'stats'
    >();
  });

  it('a pool gives those layers faces, and health checks a KeyCheck of three methods', () => {
    expectTypeOf<KeyPool['workers']>().toEqualTypeOf<KeyWorker[]>();
    expectTypeOf<keyof KeyCheck>().toEqualTypeOf<'checkClient' | 'classify' | 'recordCheck'>();
  });
});
