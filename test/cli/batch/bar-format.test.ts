import { describe, expect, it } from 'vitest';
import { BAR_FORMAT, barPayload } from '../../../src/cli/batch/run-batch.js';
import { payloadFields } from '../../../src/cli/shared/progress.js';

describe('keymux batch progress bar', () => {
  const state = { written: 30, elapsedMs: 2000, limited: 2, wait: '', slots: 10 };

  it('gives every field its format names, so none prints as a literal {name}', () => {
    expect(payloadFields(BAR_FORMAT)).toEqual(['rate', 'slots', 'limited', 'wait']);
    const payload = barPayload(state);
    for (const field of payloadFields(BAR_FORMAT)) expect(payload).toHaveProperty(field);
  });

  it('shows the lines written per second since the start, 0.0 before any time has passed', () => {
    expect(barPayload(state).rate).toBe('15.0');
    expect(barPayload({ ...state, written: 0, elapsedMs: 0 }).rate).toBe('0.0');
  });
});
