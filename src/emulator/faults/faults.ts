import { describeIssues, EmulatorConfigError, faultSpecSchema } from '../config/config-schema.js';
import type { FaultKind, FaultSpec, ProviderName } from '../config/options.js';
import type { Random } from '../random.js';

/** Faults decided before the pool's limits are consulted (they answer 429 whatever the pool says). */
export const BEFORE_LIMITS: ReadonlySet<FaultKind> = new Set(['rate-limit', 'quota', 'unauthorized']);

export type FaultPhase = 'before-limits' | 'after-limits';

export interface FaultTarget {
  readonly key: string;
  readonly provider: ProviderName;
  /** Emulator time since start, ms. */
  readonly elapsedMs: number;
}

/** A fault as installed, with how often it has matched and fired. */
export interface InstalledFault {
  readonly id: number;
  readonly spec: FaultSpec;
  readonly matched: number;
  readonly fired: number;
}

type FaultState = { -readonly [K in keyof InstalledFault]: InstalledFault[K] };

/** Decides, request by request, whether an injected fault replaces the normal answer. */
export class FaultInjector {
  readonly #random: Random;
  #faults: FaultState[] = [];
  #nextId = 1;

  constructor(random: Random, specs: readonly FaultSpec[] = []) {
    this.#random = random;
    this.set(specs);
  }

  /** Replaces every fault. */
  set(specs: readonly FaultSpec[]): void {
    this.#faults = [];
    for (const spec of specs) this.add(spec);
  }

  /** Adds one fault (checked first-come among the others); returns its id for `remove`. */
  add(spec: FaultSpec): number {
    const parsed = faultSpecSchema.safeParse(spec);
    if (!parsed.success) throw new EmulatorConfigError(`fault: ${describeIssues(parsed.error)}`);
    const id = this.#nextId++;
    this.#faults.push({ id, spec: parsed.data, matched: 0, fired: 0 });
    return id;
  }

  remove(id: number): void {
    this.#faults = this.#faults.filter((f) => f.id !== id);
  }

  list(): readonly InstalledFault[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  pick(target: FaultTarget, phase: FaultPhase): FaultSpec | undefined {
    for (const fault of this.#faults) {
      const { spec } = fault;
      if (BEFORE_LIMITS.has(spec.kind) !== (phase === 'before-limits')) continue;
      if (spec.count !== undefined && fault.fired >= spec.count) continue;
      if (spec.key !== undefined && spec.key !== target.key) continue;
      if (spec.provider !== undefined && spec.provider !== target.provider) continue;
      if (target.elapsedMs < (spec.fromMs ?? 0)) continue;
      if (spec.untilMs !== undefined && target.elapsedMs >= spec.untilMs) continue;
      fault.matched++;
      const position = fault.matched - (spec.skip ?? 0);
      if (position <= 0 || (position - 1) % (spec.every ?? 1) !== 0) continue;
      if (spec.rate !== undefined && spec.rate < 1 && this.#random() >= spec.rate) continue;
      fault.fired++;
      return spec;
    }
    return undefined;
  }
}
