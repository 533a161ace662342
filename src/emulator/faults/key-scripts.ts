import { z } from 'zod';
import { describeIssues, EmulatorConfigError, scriptStepSchema } from '../config/config-schema.js';
import type { FaultSpec, ScriptStep } from '../config/options.js';

/** The fault a bare status stands for; `undefined` for a 2xx (answer normally). */
export function faultForStatus(code: number): FaultSpec | undefined {
  if (code < 300) return undefined;
  switch (code) {
    case 401:
    case 403:
      return { kind: 'unauthorized', status: code };
    case 429:
      return { kind: 'rate-limit' };
    case 500:
      return { kind: 'server-error' };
    case 502:
      return { kind: 'bad-gateway' };
    case 503:
      return { kind: 'unavailable' };
    case 529:
      return { kind: 'overloaded', status: 529 };
    default:
      return { kind: 'server-error', status: code };
  }
}

function toFault(step: ScriptStep): FaultSpec | undefined {
  if (typeof step === 'number') return faultForStatus(step);
  const { kind, status: code, ...rest } = step;
  const base = kind === undefined ? faultForStatus(code ?? 200) : { kind };
  if (base === undefined) return undefined;
  return { ...base, ...(code === undefined || kind === undefined ? {} : { status: code }), ...rest };
}

/** Per-key scripts of answers, consumed request by request; after a script ends, the key behaves normally. */
export class KeyScripts {
  #steps = new Map<string, ScriptStep[]>();

  /** Replaces the key's script (an empty list clears it). */
  set(key: string, steps: readonly ScriptStep[]): void {
    const parsed = z.array(scriptStepSchema).safeParse(steps);
    if (!parsed.success) throw new EmulatorConfigError(`script of ${key}: ${describeIssues(parsed.error)}`);
    if (parsed.data.length === 0) this.#steps.delete(key);
    else this.#steps.set(key, [...(parsed.data as ScriptStep[])]);
  }

  /** Steps not yet consumed. */
  remaining(key: string): number {
    return this.#steps.get(key)?.length ?? 0;
  }

  /** Takes the key's next step: `'none'` when it has no script left, else the fault (undefined: answer normally). */
  next(key: string): { readonly fault: FaultSpec | undefined; readonly step: ScriptStep } | 'none' {
    const steps = this.#steps.get(key);
    const step = steps?.shift();
    if (steps === undefined || step === undefined) return 'none';
    if (steps.length === 0) this.#steps.delete(key);
    return { fault: toFault(step), step };
  }

  /** Puts a step back at the head (a request the limits refused does not consume it). */
  unshift(key: string, step: ScriptStep): void {
    this.#steps.set(key, [step, ...(this.#steps.get(key) ?? [])]);
  }
}
