import type { ResolvedOffloadOptions } from '../config/offload-options.js';
import type { Clock } from '../core/clock.js';
import { ShutdownError } from '../core/errors.js';
import type {
  OffloadedBatch,
  OffloadJournal,
  OffloadModelStats,
  OffloadStats,
} from '../core/offload-journal.js';
import {
  type BatchProvider,
  batchResults,
  batchState,
  cancelBatch,
  findSubmitted,
  type LineOutcome,
  lineBytes,
  PROVIDER_LIMITS,
  type Submission,
  submitBatch,
} from './batch-wire.js';

/** A call that may wait: its request, its deadline, and how to send it synchronously instead. */
export interface OffloadCall {
  readonly provider: BatchProvider;
  readonly model: string;
  readonly body: Readonly<Record<string, unknown>>;
  /** Clock ms by which the caller needs the answer. */
  readonly deadlineAt: number;
  /** A stable id (the batch runner's line id): a restarted process collects its batch instead of resubmitting. */
  readonly customId?: string | undefined;
  /** Sends the call now, synchronously, on the pool (the fallback for failed, expired or late lines). */
  sync(): Promise<unknown>;
}

/** Budgets for one offloaded call: reserved when it is accepted, settled at batch prices. */
export interface OffloadCharge {
  settle(key: string, body: unknown): void;
  release(): void;
}

/** What the engine asks of the multiplexer. */
export interface OffloadHost {
  readonly clock: Clock;
  readonly journal: OffloadJournal;
  /** Runs `fn` with the SDK client of a key of `provider` (`key` when named); a control call, not budgeted. */
  onKey<T>(
    provider: BatchProvider,
    key: string | undefined,
    fn: (client: unknown, key: string) => Promise<T>,
  ): Promise<T>;
  /** Reserves the call's budgets (rejects with BudgetExceededError). */
  charge(call: OffloadCall): OffloadCharge | Promise<OffloadCharge>;
  /**
   * A call was accepted: what the observers see of it (a job id, a span). The returned function is called
   * once when it settles; `resent` when its line was sent synchronously (that job is observed itself).
   */
  started?(call: OffloadCall): (ok: boolean, error: unknown, resent: boolean) => void;
}

export type { OffloadModelStats, OffloadStats };

type ModelCounters = { -readonly [F in keyof OffloadModelStats]: number };

/** One accepted call, settled exactly once. */
class Entry {
  settled = false;
  /** Its line was sent synchronously: that job is what observers see of it. */
  resent = false;
  charge: OffloadCharge | undefined;
  /** Calls repeated with this entry's custom_id while it waits: they get its outcome. */
  readonly followers: Array<{ resolve: (value: unknown) => void; reject: (error: unknown) => void }> = [];
  constructor(
    readonly call: OffloadCall,
    readonly customId: string,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: unknown) => void,
  ) {}
}

interface Group {
  readonly provider: BatchProvider;
  readonly model: string;
  entries: Entry[];
  bytes: number;
  timer: AbortController | undefined;
}

/**
 * Collects calls that can wait per provider and model, submits them as batches (when `maxWait` passes or
 * the batch is full), polls each batch with a doubling backoff, and settles every caller once: with the
 * batch's answer, or with a synchronous call when its line failed, expired, or is late for its deadline.
 */
export class BatchOffloader {
  readonly stats: OffloadStats = { offered: 0, batches: 0, servedByBatch: 0, resentSync: 0 };
  readonly #groups = new Map<string, Group>();
  /** Open batches of this process, by id, with the entries waiting on each custom_id. */
  readonly #tracked = new Map<string, Map<string, Entry>>();
  readonly #closing = new AbortController();
  readonly #running = new Set<Promise<void>>();
  /** Per `provider/model`: calls, successes, failures, answers from batches, re-sent lines. */
  readonly #models = new Map<string, ModelCounters>();
  /** Unsettled entries with a caller's own custom_id: a repeat of the call joins the first one. */
  readonly #byCustomId = new Map<string, Entry>();
  #next = 0;

  constructor(
    readonly options: ResolvedOffloadOptions,
    private readonly host: OffloadHost,
  ) {}

  /** Whether a call may go to a batch: a provider with a Batch API, not a stream, a deadline far enough. */
  accepts(provider: string, deadlineAt: number | undefined, stream: boolean): provider is BatchProvider {
    if (stream || deadlineAt === undefined || this.#closing.signal.aborted) return false;
    if (provider !== 'openai' && provider !== 'anthropic') return false;
    return deadlineAt - this.host.clock.now() >= this.options.minDeadlineMs;
  }

  /** Resolves with the body a synchronous call returns, from a batch or, failing that, synchronously. */
  offload(call: OffloadCall): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const leader = call.customId === undefined ? undefined : this.#byCustomId.get(call.customId);
      if (leader !== undefined) {
        // The same call again (same custom_id) while the first waits: one line, one answer for both.
        leader.followers.push({ resolve, reject });
        return;
      }
      const customId =
        call.customId ?? `km-${this.host.clock.now().toString(36)}-${(this.#next++).toString(36)}`;
      const observed = this.host.started?.(call);
      const counters = this.#countersOf(call);
      counters.requests++;
      const outcome = (ok: boolean, error: unknown, resent: boolean): void => {
        if (call.customId !== undefined) this.#byCustomId.delete(call.customId);
        if (ok) counters.successes++;
        else counters.failures++;
        observed?.(ok, error, resent);
      };
      const entry = new Entry(
        call,
        customId,
        (value) => {
          outcome(true, undefined, entry.resent);
          resolve(value);
          for (const f of entry.followers) f.resolve(value);
        },
        (error) => {
          outcome(false, error, entry.resent);
          reject(error);
          for (const f of entry.followers) f.reject(error);
        },
      );
      if (call.customId !== undefined) this.#byCustomId.set(call.customId, entry);
      this.stats.offered++;
      this.#track(this.#place(entry));
    });
  }

  #countersOf(call: OffloadCall): ModelCounters {
    const name = `${call.provider}/${call.model}`;
    let c = this.#models.get(name);
    if (c === undefined) {
      c = { requests: 0, successes: 0, failures: 0, servedByBatch: 0, resentSync: 0 };
      this.#models.set(name, c);
    }
    return c;
  }

  /** Per `provider/model`: the offloaded calls and how they settled. */
  modelStats(): Record<string, OffloadModelStats> {
    const out: Record<string, OffloadModelStats> = {};
    for (const [name, c] of this.#models) out[name] = { ...c };
    return out;
  }

  async #place(entry: Entry): Promise<void> {
    try {
      entry.charge = await this.host.charge(entry.call);
    } catch (error) {
      entry.settled = true;
      entry.reject(error);
      return;
    }
    const known =
      entry.call.customId === undefined ? undefined : await this.host.journal.find(entry.customId);
    if (known !== undefined) {
      this.#await(known, [entry]);
      return;
    }
    const { provider, model } = entry.call;
    const name = `${provider}\u0000${model}`;
    let group = this.#groups.get(name);
    if (group === undefined) {
      group = { provider, model, entries: [], bytes: 0, timer: undefined };
      this.#groups.set(name, group);
    }
    const bytes = lineBytes(provider, { customId: entry.customId, body: entry.call.body });
    const limits = PROVIDER_LIMITS[provider];
    if (group.entries.length > 0 && group.bytes + bytes > limits.maxBytes) this.#flush(group);
    group.entries.push(entry);
    group.bytes += bytes;
    if (group.entries.length >= Math.min(this.options.maxRequests, limits.maxRequests)) this.#flush(group);
    else if (group.timer === undefined) {
      const timer = new AbortController();
      group.timer = timer;
      const wait = AbortSignal.any([timer.signal, this.#closing.signal]);
      this.#track(
        this.host.clock.sleep(this.options.maxWaitMs, wait).then(
          () => this.#flush(group),
          () => undefined,
        ),
      );
    }
  }

  #flush(group: Group): void {
    group.timer?.abort();
    group.timer = undefined;
    const entries = group.entries;
    group.entries = [];
    group.bytes = 0;
    if (entries.length > 0) this.#track(this.#submit(group.provider, group.model, entries));
  }

  async #submit(provider: BatchProvider, model: string, entries: Entry[]): Promise<void> {
    const lines = entries.map((e) => ({ customId: e.customId, body: e.call.body }));
    const submission: Submission = {
      id: `${this.host.clock.now().toString(36)}-${(this.#next++).toString(36)}`,
      createSent: false,
      key: undefined,
    };
    const described = (id: string, key: string): OffloadedBatch => ({
      id,
      provider,
      key,
      model,
      submittedAt: this.host.clock.now(),
      customIds: lines.map((l) => l.customId),
    });
    let batch: OffloadedBatch | undefined;
    try {
      batch = await this.host.onKey(provider, undefined, async (client, key) =>
        described(await submitBatch(provider, client, lines, submission, key), key),
      );
    } catch {
      // The create went out and its answer was lost: its batch, if it made one, is the one to wait on.
      const key = submission.key;
      if (submission.createSent && key !== undefined) {
        const id = await this.host
          .onKey(provider, key, (client) => findSubmitted(provider, client, submission.id))
          .catch(() => undefined);
        if (id !== undefined) batch = described(id, key);
      }
    }
    if (batch === undefined) {
      for (const entry of entries) this.#resend(entry);
      return;
    }
    // Written down after the provider took it: a journal that fails leaves the batch collected by this
    // process alone (never submitted twice by this one).
    await this.host.journal.save(batch).catch(() => undefined);
    this.stats.batches++;
    this.#await(batch, entries);
  }

  /** Waits on `batch` for these entries (all of its lines, or a restarted process's share of them). */
  #await(batch: OffloadedBatch, entries: readonly Entry[]): void {
    let waiting = this.#tracked.get(batch.id);
    const fresh = waiting === undefined;
    waiting ??= new Map();
    for (const entry of entries) waiting.set(entry.customId, entry);
    this.#tracked.set(batch.id, waiting);
    if (fresh) this.#track(this.#poll(batch, waiting));
  }

  async #poll(batch: OffloadedBatch, waiting: Map<string, Entry>): Promise<void> {
    const { clock } = this.host;
    let delay = this.options.firstPollMs;
    for (;;) {
      const open = [...waiting.values()].filter((e) => !e.settled);
      const resendAt = Math.min(...open.map((e) => e.call.deadlineAt - this.options.resendBeforeMs));
      try {
        await clock.sleep(Math.max(0, Math.min(delay, resendAt - clock.now())), this.#closing.signal);
      } catch {
        return;
      }
      for (const entry of waiting.values())
        if (!entry.settled && entry.call.deadlineAt - this.options.resendBeforeMs <= clock.now())
          this.#resend(entry);
      if (
        [...waiting.values()].every((e) => e.settled) &&
        waiting.size > 0 &&
        batch.customIds.length === waiting.size
      ) {
        // Every line was served otherwise: the batch's answers would be paid for and thrown away.
        await this.host
          .onKey(batch.provider, batch.key, (client) => cancelBatch(batch.provider, client, batch.id))
          .catch(() => undefined);
        await this.#forget(batch);
        return;
      }
      let results: Map<string, LineOutcome> | undefined;
      try {
        results = await this.host.onKey(batch.provider, batch.key, async (client) =>
          (await batchState(batch.provider, client, batch.id)) === 'ended'
            ? batchResults(batch.provider, client, batch.id)
            : undefined,
        );
      } catch {
        results = undefined;
      }
      if (results !== undefined) {
        for (const [customId, entry] of waiting) this.#deliver(entry, batch.key, results.get(customId));
        await this.#forget(batch);
        return;
      }
      delay = Math.min(delay * 2, this.options.maxPollMs);
    }
  }

  #deliver(entry: Entry, key: string, outcome: LineOutcome | undefined): void {
    if (entry.settled) return;
    if (outcome?.ok !== true) {
      this.#resend(entry);
      return;
    }
    entry.settled = true;
    this.stats.servedByBatch++;
    this.#countersOf(entry.call).servedByBatch++;
    entry.charge?.settle(key, outcome.body);
    entry.resolve(outcome.body);
  }

  /** The line is sent synchronously: its reservation goes back, the synchronous call reserves its own. */
  #resend(entry: Entry): void {
    if (entry.settled) return;
    entry.settled = true;
    entry.resent = true;
    this.stats.resentSync++;
    this.#countersOf(entry.call).resentSync++;
    entry.charge?.release();
    entry.call.sync().then(entry.resolve, entry.reject);
  }

  async #forget(batch: OffloadedBatch): Promise<void> {
    this.#tracked.delete(batch.id);
    await this.host.journal.remove(batch).catch(() => undefined);
  }

  #track(work: Promise<void>): void {
    this.#running.add(work);
    void work.finally(() => this.#running.delete(work));
  }

  /** Open batches this process waits on. */
  get openBatches(): number {
    return this.#tracked.size;
  }

  /**
   * Stops collecting and polling. Calls not yet answered reject with ShutdownError; their batches stay in
   * the journal, so a process on the same shared store collects them later.
   */
  async close(): Promise<void> {
    this.#closing.abort();
    const entries = [...this.#groups.values()].flatMap((g) => g.entries);
    for (const waiting of this.#tracked.values()) entries.push(...waiting.values());
    for (const entry of entries) {
      if (entry.settled) continue;
      entry.settled = true;
      entry.charge?.release();
      entry.reject(new ShutdownError('keymux closed while the call waited in a batch'));
    }
    await Promise.allSettled([...this.#running]);
  }
}
