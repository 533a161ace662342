import { describeIssues, EmulatorConfigError, overloadSchema } from '../config/config-schema.js';
import type { FaultSpec, OverloadSpec } from '../config/options.js';
import type { Random } from '../random.js';

/** Validates an overload spec, or throws `EmulatorConfigError` naming the field. */
export function parseOverload(spec: OverloadSpec): OverloadSpec {
  const parsed = overloadSchema.safeParse(spec);
  if (!parsed.success) throw new EmulatorConfigError(`overload: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** What the overload does to one admitted request. */
export interface OverloadEffect {
  /** The request arrived above the key's threshold. */
  readonly above: boolean;
  readonly latencyFactor: number;
  /** The 5xx to answer instead, drawn at `errorRate`. */
  readonly fault: FaultSpec | undefined;
}

const CALM: OverloadEffect = { above: false, latencyFactor: 1, fault: undefined };

/**
 * A key that struggles under load: with more than `aboveConcurrent` of its requests in flight (this one
 * included), latency is multiplied by `latencyFactor` and a seeded `errorRate` of them fail with a 5xx.
 */
export function overloadEffect(
  spec: OverloadSpec | undefined,
  key: string,
  inFlight: number,
  random: Random,
): OverloadEffect {
  if (spec === undefined || (spec.key !== undefined && spec.key !== key)) return CALM;
  if (inFlight <= spec.aboveConcurrent) return CALM;
  const rate = spec.errorRate ?? 0.5;
  const fails = rate > 0 && random() < rate;
  return {
    above: true,
    latencyFactor: spec.latencyFactor ?? 2,
    fault: fails ? { kind: spec.kind ?? 'overloaded' } : undefined,
  };
}
