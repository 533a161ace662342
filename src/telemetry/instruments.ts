import type { Histogram, Meter } from '@opentelemetry/api';
import { DURATION_BUCKETS, TOKEN_BUCKETS } from './semconv.js';

/** The metrics keymux records through the global meter, beside prom-client's `/metrics`. */
export interface Instruments {
  /** `gen_ai.client.operation.duration`: one per attempt, in seconds. */
  readonly duration: Histogram;
  /** `gen_ai.client.token.usage`: one per successful attempt and token type (`input`, `output`). */
  readonly tokens: Histogram;
  /** `keymux.queue.wait`: how long each attempt waited for a key, in seconds. */
  readonly queueWait: Histogram;
}

export function makeInstruments(meter: Meter): Instruments {
  return {
    duration: meter.createHistogram('gen_ai.client.operation.duration', {
      description: 'GenAI operation duration',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    tokens: meter.createHistogram('gen_ai.client.token.usage', {
      description: 'Number of input and output tokens used',
      unit: '{token}',
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    }),
    queueWait: meter.createHistogram('keymux.queue.wait', {
      description: 'Time an attempt waited in keymux for a key that could send it',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
  };
}
