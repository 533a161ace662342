import type { SliceMove, SliceOutcome, SliceResult } from '../core/shared-budgets.js';
import { BUDGET_SLICE_LUA } from './lua/budget.js';
import { HANDOVER_LUA } from './lua/handover.js';
import { KEY_STATE_LUA } from './lua/key-state.js';
import { SETTLE_LUA } from './lua/settle.js';
import { SNAPSHOT_LUA } from './lua/snapshot.js';
import { TAKE_LUA } from './lua/take.js';
import { TIGHTEN_LUA } from './lua/tighten.js';
import { Script, type ScriptRunner } from './redis-client.js';
import type { RedisLayout } from './redis-layout.js';
import {
  type DeadlineKind,
  type KeyAddress,
  type KeySnapshot,
  LIMIT_NAMES,
  type LimitCharge,
  type LimitName,
  PACE_SLACK_MS,
  type RefusalReason,
  type SettleRequest,
  type TakeRequest,
  type TakeResult,
  type TightenRequest,
  WINDOW_MS,
} from './store.js';

const TAKE = new Script(TAKE_LUA);
const SETTLE = new Script(SETTLE_LUA);
const TIGHTEN = new Script(TIGHTEN_LUA);
const KEY_STATE = new Script(KEY_STATE_LUA);
const SNAPSHOT = new Script(SNAPSHOT_LUA);
const HANDOVER = new Script(HANDOVER_LUA);
const BUDGET_SLICE = new Script(BUDGET_SLICE_LUA);
const SCRIPTS = [TAKE, SETTLE, TIGHTEN, KEY_STATE, SNAPSHOT, HANDOVER];

/** The store's operations on Redis, one script (one round trip) each; errors and slowness are the caller's. */
export class RedisBackend {
  constructor(
    readonly runner: ScriptRunner,
    readonly layout: RedisLayout,
  ) {}

  /**
   * What a start needs: a connection that answers, with every script loaded (SCRIPT LOAD; a client without
   * it reads a snapshot instead, which loads that script, the others loading on first use).
   */
  async load(): Promise<void> {
    const { load } = this.runner;
    if (load) await Promise.all(SCRIPTS.map((script) => load(script.text)));
    else await this.snapshot({ provider: '-', key: '-' }, '-');
  }

  async take(request: TakeRequest, token: string): Promise<TakeResult> {
    const { provider, key, scope } = request;
    const keys = [
      this.layout.rate(provider, scope),
      this.layout.key(provider, key),
      this.layout.probe(provider, key),
    ];
    const args = [
      String(PACE_SLACK_MS),
      String(Math.max(1, Math.ceil(request.probeTtlMs))),
      token,
      String(Math.max(0, request.reserveMs ?? 0)),
    ];
    pushCharges(args, request.limits);
    const reply = asArray(await TAKE.run(this.runner, keys, args));
    const learned = learnedPairs(reply, 3);
    if (Number(reply[0]) === 1) {
      const probe = reply[2] === 'probe' ? token : undefined;
      return { ok: true, probe, learned, delayMs: Number(reply[1]) };
    }
    return {
      ok: false,
      waitMs: Math.max(1, Number(reply[1])),
      reason: String(reply[2]) as RefusalReason,
      learned,
    };
  }

  /**
   * The ms left of the processes' hand-over after an outage; the first process back sets it to `ms`, and
   * one back within `lingerMs` after its end reads 0.
   */
  async settle(request: SettleRequest): Promise<void> {
    await this.#move(request, 'settle');
  }

  async handover(ms: number, lingerMs: number): Promise<number> {
    const args = [String(Math.ceil(ms)), String(Math.ceil(lingerMs))];
    return Number(await HANDOVER.run(this.runner, [this.layout.handover()], args));
  }

  /**
   * Adds units sent while Redis was away (or booked on the local schedule for a send `atMs` from now) to
   * the shared schedules, as takes made at the send would have, without asking.
   */
  async charge(request: SettleRequest, atMs = 0): Promise<void> {
    await this.#move(request, 'charge', atMs);
  }

  async #move(request: SettleRequest, mode: 'settle' | 'charge', atMs = 0): Promise<void> {
    const readings = request.readings ?? [];
    const args = [
      String(PACE_SLACK_MS),
      mode,
      String(readings.length),
      String(Math.max(0, Math.round(atMs))),
    ];
    for (const r of readings)
      args.push(r.name, String(Math.max(0, r.floorMs)), String(r.learn ?? 0), String(WINDOW_MS[r.name]));
    pushCharges(args, request.limits);
    await SETTLE.run(this.runner, [this.layout.rate(request.provider, request.scope)], args);
  }

  async tighten(request: TightenRequest): Promise<void> {
    const args = [
      String(PACE_SLACK_MS),
      request.name,
      String(Math.max(0, request.floorMs)),
      String(request.learn ?? 0),
      String(WINDOW_MS[request.name]),
    ];
    await TIGHTEN.run(this.runner, [this.layout.rate(request.provider, request.scope)], args);
  }

  async extendDeadline(address: KeyAddress, kind: DeadlineKind, ms: number): Promise<number> {
    return Number(await this.#keyState(address, ['extend', kind, String(Math.max(0, ms))]));
  }

  async openBreaker(address: KeyAddress, ms: number): Promise<void> {
    await this.#keyState(address, ['open', String(Math.max(0, ms))]);
  }

  async closeBreaker(address: KeyAddress): Promise<void> {
    await this.#keyState(address, ['close']);
  }

  async releaseProbe(address: KeyAddress, token: string): Promise<void> {
    await this.#keyState(address, ['release', token]);
  }

  async clearKey(address: KeyAddress): Promise<void> {
    await this.#keyState(address, ['clear']);
  }

  async snapshot(address: KeyAddress, scope: string): Promise<KeySnapshot> {
    const { provider, key } = address;
    const keys = [
      this.layout.key(provider, key),
      this.layout.probe(provider, key),
      this.layout.rate(provider, scope),
    ];
    const reply = asArray(await SNAPSHOT.run(this.runner, keys, [])).map((x) => String(x));
    const [cooldownMs, exhaustedMs, openMs, leaseMs] = reply.slice(0, 4).map(Number) as [
      number,
      number,
      number,
      number,
    ];
    const limits: Partial<
      Record<LimitName, { aheadMs: number; notBeforeMs: number; learned: number | undefined }>
    > = {};
    for (let i = 4; i + 1 < reply.length; i += 2) {
      const field = reply[i] ?? '';
      const name = field.slice(2) as LimitName;
      if (!LIMIT_NAMES.includes(name)) continue;
      const entry = limits[name] ?? { aheadMs: 0, notBeforeMs: 0, learned: undefined };
      const value = Number(reply[i + 1]);
      if (field.startsWith('t:')) entry.aheadMs = value;
      else if (field.startsWith('n:')) entry.notBeforeMs = value;
      else entry.learned = value;
      limits[name] = entry;
    }
    const halfOpen = openMs === 0;
    return {
      cooldownMs,
      exhaustedMs,
      breaker: openMs < 0 ? 'closed' : halfOpen ? 'half-open' : 'open',
      breakerMs: openMs < 0 ? 0 : halfOpen ? leaseMs : openMs,
      probeHeld: halfOpen && leaseMs > 0,
      limits,
    };
  }

  /** One step of this process's slices of `moves`' budgets (store/lua/budget.ts). */
  async sliceBudgets(
    owner: string,
    now: number,
    ttlMs: number,
    moves: readonly SliceMove[],
    final: boolean,
  ): Promise<SliceResult> {
    const keys = moves.map((m) => this.layout.budget(m.name));
    const args = [owner, String(Math.floor(now)), String(Math.ceil(ttlMs)), final ? '1' : '0'];
    for (const m of moves) {
      args.push(
        String(m.start),
        String(m.limit),
        String(m.need),
        String(m.ask),
        String(m.release),
        String(m.spent),
        String(m.spentStart),
        String(m.claim),
        String(m.ack),
      );
    }
    const reply = asArray(await BUDGET_SLICE.run(this.runner, keys, args)).map(Number);
    const budgets: SliceOutcome[] = moves.map((_, i) => {
      const at = 3 + i * 6;
      return {
        granted: reply[at] ?? 0,
        tight: reply[at + 1] === 1,
        spent: reply[at + 2] ?? 0,
        reserved: reply[at + 3] ?? 0,
        lost: reply[at + 4] === 1,
        recall: reply[at + 5] ?? 0,
      };
    });
    if (reply[0] === 1) return { status: 'granted', budgets };
    if (reply[0] === 2) return { status: 'lost', budgets };
    return { status: 'refused', index: (reply[1] ?? 1) - 1, wait: reply[2] === 1, budgets };
  }

  #keyState(address: KeyAddress, args: string[]): Promise<unknown> {
    const keys = [
      this.layout.key(address.provider, address.key),
      this.layout.probe(address.provider, address.key),
    ];
    return KEY_STATE.run(this.runner, keys, args);
  }
}

function pushCharges(args: string[], limits: readonly LimitCharge[]): void {
  for (const charge of limits) {
    args.push(charge.name, String(charge.limit ?? 0), String(WINDOW_MS[charge.name]), String(charge.units));
  }
}

function asArray(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected reply from a keymux script: ${typeof reply}`);
  return reply;
}

function learnedPairs(reply: unknown[], from: number): Partial<Record<LimitName, number>> {
  const out: Partial<Record<LimitName, number>> = {};
  for (let i = from; i + 1 < reply.length; i += 2) out[String(reply[i]) as LimitName] = Number(reply[i + 1]);
  return out;
}
