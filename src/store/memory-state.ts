import { aheadOf, isPaced } from '../policy/gcra.js';
import {
  type KeyAddress,
  type KeySnapshot,
  type LimitName,
  type RefusalReason,
  type TakeRequest,
  WINDOW_MS,
} from './store.js';

/** One key's deadlines and breaker, as the memory store keeps them (absolute times on its clock). */
export interface KeyState {
  cooldown: number;
  exhausted: number;
  /** When the open breaker lets a probe through; undefined when closed. */
  open: number | undefined;
  probe: { readonly token: string; readonly until: number } | undefined;
}

export function newKeyState(): KeyState {
  return { cooldown: 0, exhausted: 0, open: undefined, probe: undefined };
}

/** Why and for how long the key may not send now, whatever its rate schedules say; undefined: it may. */
export function keyRefusal(
  key: KeyState | undefined,
  now: number,
): { readonly waitMs: number; readonly reason: RefusalReason } | undefined {
  if (!key) return undefined;
  const until = Math.max(key.cooldown, key.exhausted);
  if (until > now) return { waitMs: until - now, reason: 'cooldown' };
  if (key.open === undefined) return undefined;
  if (key.open > now) return { waitMs: key.open - now, reason: 'breaker' };
  // Half-open: one probe at a time, until its holder reports back or its lease runs out.
  if (key.probe && key.probe.until > now) return { waitMs: key.probe.until - now, reason: 'breaker' };
  return undefined;
}

export function keySnapshotOf(key: KeyState | undefined, now: number): Omit<KeySnapshot, 'limits'> {
  const open = key?.open;
  const probeMs = key?.probe ? aheadOf(key.probe.until, now) : 0;
  const halfOpen = open !== undefined && open <= now;
  return {
    cooldownMs: aheadOf(key?.cooldown, now),
    exhaustedMs: aheadOf(key?.exhausted, now),
    breaker: open === undefined ? 'closed' : halfOpen ? 'half-open' : 'open',
    breakerMs: open === undefined ? 0 : halfOpen ? probeMs : open - now,
    probeHeld: halfOpen && probeMs > 0,
  };
}

/** The rate schedules and learned limits of one key or quota group (absolute times on the store's clock). */
export interface ScopeState {
  readonly tat: Map<LimitName, number>;
  readonly notBefore: Map<LimitName, number>;
  readonly learned: Map<LimitName, number>;
  /** Units charged here since the last hand-over, with the configured limit they were charged at. */
  readonly charged: Map<LimitName, { units: number; limit: number | undefined }>;
}

export function newScopeState(): ScopeState {
  return { tat: new Map(), notBefore: new Map(), learned: new Map(), charged: new Map() };
}

/** Counts units for the hand-over to Redis; `limit` undefined charges at the learned limit. */
export function charge(scope: ScopeState, name: LimitName, units: number, limit: number | undefined): void {
  const entry = scope.charged.get(name);
  if (entry) entry.units += units;
  else scope.charged.set(name, { units, limit });
}

export function scopeId(provider: string, scope: string): string {
  return `${provider}\0${scope}`;
}

export function keyId(address: KeyAddress): string {
  return `${address.provider}\0${address.key}`;
}

const NONE: Readonly<Partial<Record<LimitName, number>>> = Object.freeze({});

/** The learned limits a take used: those of its limits that came with no configured value. */
export function learnedOf(request: TakeRequest, scope: ScopeState): Partial<Record<LimitName, number>> {
  if (scope.learned.size === 0) return NONE;
  let out: Partial<Record<LimitName, number>> | undefined;
  for (const charge of request.limits) {
    const learned = charge.limit === undefined ? scope.learned.get(charge.name) : undefined;
    if (learned === undefined) continue;
    out ??= {};
    out[charge.name] = learned;
  }
  return out ?? NONE;
}

/** What runs ahead of now, relative to now, so another store can take it over on its own clock. */
export interface PendingState {
  /** Units charged locally (to add to the shared schedule) and floors from readings. */
  readonly schedules: ReadonlyArray<{
    provider: string;
    scope: string;
    name: LimitName;
    units: number;
    limit: number | undefined;
    notBeforeMs: number;
  }>;
  readonly deadlines: ReadonlyArray<KeyAddress & { cooldownMs: number; exhaustedMs: number; openMs: number }>;
}

/**
 * What this store did alone, to hand over. A daily limit's units all count for the rest of its day; a paced
 * limit forgets what it sent as its bucket refills, so only what its schedule still runs ahead of now
 * counts: at the store's `share` of the limit, that is `ahead × share` of the full limit's time. (Adding
 * every unit sent during a long outage, as if sent now, would stall the key for as long once Redis is back.)
 */
export function pendingOf(
  scopes: ReadonlyMap<string, ScopeState>,
  keys: ReadonlyMap<string, KeyState>,
  now: number,
  share: number,
): PendingState {
  const schedules: Array<PendingState['schedules'][number]> = [];
  for (const [id, scope] of scopes) {
    const [provider = '', name = ''] = id.split('\0');
    const names = new Set([...scope.charged.keys(), ...scope.notBefore.keys()]);
    for (const limit of names) {
      const charged = scope.charged.get(limit);
      const notBeforeMs = aheadOf(scope.notBefore.get(limit), now);
      if ((charged?.units ?? 0) <= 0 && notBeforeMs === 0) continue;
      const sent = Math.max(0, charged?.units ?? 0);
      const full = charged?.limit ?? scope.learned.get(limit);
      const units =
        isPaced(WINDOW_MS[limit]) && full !== undefined
          ? Math.min(sent, (aheadOf(scope.tat.get(limit), now) * share * full) / WINDOW_MS[limit])
          : sent;
      schedules.push({ provider, scope: name, name: limit, units, limit: charged?.limit, notBeforeMs });
    }
  }
  const deadlines: Array<PendingState['deadlines'][number]> = [];
  for (const [id, key] of keys) {
    const [provider = '', name = ''] = id.split('\0');
    const cooldownMs = aheadOf(key.cooldown, now);
    const exhaustedMs = aheadOf(key.exhausted, now);
    const openMs = key.open === undefined ? 0 : Math.max(1, key.open - now);
    if (cooldownMs + exhaustedMs + openMs > 0)
      deadlines.push({ provider, key: name, cooldownMs, exhaustedMs, openMs });
  }
  return { schedules, deadlines };
}
