import type { ResolvedOptions } from '../config/options.js';
import { isKeymuxError } from '../core/errors.js';
import type { KeymuxEvent } from '../core/events.js';
import {
  type FallbackFailure,
  type FallbackGate,
  type FallbackReason,
  type ModelTarget,
  targetName,
} from '../core/fallback.js';
import { failureKindOf } from './failure-kind.js';
import { actionFor, type FallbackList, listFor } from './semantics.js';
import type { FallbackVeto } from './veto.js';

/** Sends a call to one target (see `Chain.run`). */
export type RunTarget<T> = (
  target: ModelTarget,
  gate: FallbackGate | undefined,
  reason: FallbackReason | undefined,
) => Promise<T>;

export type FallbackOptions = Pick<
  ResolvedOptions,
  'fallbacks' | 'contextWindowFallbacks' | 'contentPolicyFallbacks' | 'maxWaitBeforeFallbackMs' | 'clock'
>;

export interface Chain<T> {
  readonly first: ModelTarget;
  /** The call's or client's own `fallbacks`, replacing the configured list. */
  readonly override: readonly string[] | undefined;
  readonly options: FallbackOptions;
  readonly hasProvider: (name: string) => boolean;
  readonly emit: (event: KeymuxEvent) => void;
  readonly veto: FallbackVeto;
  /** Runs the call on one target; `gate` goes into that job's call options; `reason`: why not the one before. */
  readonly run: RunTarget<T>;
}

/** `provider/model` when `provider` is a pool of this multiplexer, else a model of `first`'s provider. */
export function parseTarget(
  entry: string,
  first: ModelTarget,
  hasProvider: (name: string) => boolean,
): ModelTarget {
  const slash = entry.indexOf('/');
  if (slash > 0 && hasProvider(entry.slice(0, slash))) {
    return { provider: entry.slice(0, slash), model: entry.slice(slash + 1) };
  }
  return { provider: first.provider, model: entry };
}

/** The configured entries of one list for the call's model: `provider/model` keys first, then the bare model. */
function entriesOf<T>(chain: Chain<T>, list: FallbackList): readonly string[] {
  if (list === 'fallbacks' && chain.override !== undefined) return chain.override;
  const map = chain.options[list];
  return map[targetName(chain.first)] ?? map[chain.first.model] ?? [];
}

/**
 * Runs a call on its model, then on each fallback the semantics table sends it to, until one serves.
 * Each target is its own job (its own attempts on its own keys). When none serves, the first target's
 * error is thrown with every later failure attached as `error.fallbacks`.
 */
export async function runChain<T>(chain: Chain<T>): Promise<T> {
  const { options, emit } = chain;
  const tried = new Set<string>([targetName(chain.first)]);
  const failures: FallbackFailure[] = [];
  const at = (): number => options.clock.now();

  /** The next untried target of a list, skipping (and recording) the vetoed ones. */
  const nextOf = (list: FallbackList, from: ModelTarget): ModelTarget | undefined => {
    for (const entry of entriesOf(chain, list)) {
      const target = parseTarget(entry, chain.first, chain.hasProvider);
      const name = targetName(target);
      if (tried.has(name)) continue;
      if (chain.veto(chain.first, target)) return target;
      tried.add(name);
      failures.push({ target: name, reason: 'price', error: undefined });
      emit({ type: 'fallback', at: at(), from: targetName(from), to: name, reason: 'price' });
    }
    return undefined;
  };
  const hasNext = (list: FallbackList): boolean =>
    entriesOf(chain, list).some(
      (e) => !tried.has(targetName(parseTarget(e, chain.first, chain.hasProvider))),
    );

  // Asked by the model's job: leave this model now when the table says so and there is somewhere to go.
  const gate: FallbackGate = (failureClass, readyInMs) => {
    if (readyInMs === 0 || !hasNext('fallbacks')) return false;
    const kind = failureClass ?? (readyInMs === undefined ? 'no-key' : 'rate-limited');
    const ctx = { readyInMs, maxWaitMs: options.maxWaitBeforeFallbackMs, attemptsLeft: true };
    return actionFor(kind, ctx) === 'fallback';
  };

  let target = chain.first;
  let list: FallbackList = 'fallbacks';
  let firstError: unknown;
  let reason: FallbackReason | undefined;
  for (;;) {
    tried.add(targetName(target));
    try {
      const value = await chain.run(target, gate, reason);
      emit({ type: 'model-settled', at: at(), model: targetName(target), ok: true });
      return value;
    } catch (error) {
      emit({ type: 'model-settled', at: at(), model: targetName(target), ok: false });
      const kind = failureKindOf(error);
      // An abort (or the caller's own error) is the caller's: it passes through as it is.
      if (kind === 'aborted') throw error;
      if (firstError === undefined) firstError = error;
      else failures.push({ target: targetName(target), reason: kind, error });
      // The job has ended: its waiting and retrying are done; the table only says go on or throw.
      const ended = { readyInMs: undefined, maxWaitMs: 0, attemptsLeft: false };
      const action = kind === 'unsupported' ? 'fallback' : actionFor(kind, ended);
      if (action === 'throw' || kind === 'bad-request') throw withFallbacks(firstError, failures);
      if (kind !== 'unsupported') list = listFor(kind);
      const next = nextOf(list, target);
      if (next === undefined) throw withFallbacks(firstError, failures);
      emit({ type: 'fallback', at: at(), from: targetName(target), to: targetName(next), reason: kind });
      target = next;
      reason = kind;
    }
  }
}

function withFallbacks(error: unknown, failures: readonly FallbackFailure[]): unknown {
  if (isKeymuxError(error) && failures.length > 0) error.fallbacks = Object.freeze([...failures]);
  return error;
}
