import type { Clock } from '../../core/clock.js';
import { StreamTimeoutError } from './stream-timeout-error.js';
import { startTimer } from './stream-timer.js';

/** What bounds a stream once it is handed to the caller. */
export interface StreamGuard {
  readonly clock: Clock;
  /** `streamIdleTimeoutMs`. */
  readonly idleTimeoutMs: number;
  /** Aborts this attempt's request, so the SDK's stream stops with it. */
  readonly abort: (reason: unknown) => void;
  /** Aborts when the caller, the job or `close()` stops the request (and after `abort`). */
  readonly signal: AbortSignal;
}

/** How the key's slot is given back: `end` is no failure of the key, `fail` is one. */
export interface StreamVerdict {
  readonly end: () => void;
  readonly fail: (error: unknown) => void;
}

/**
 * Watches one stream handed to the caller: when no chunk reached the caller for `idleTimeoutMs`, it
 * aborts the request and gives the slot back. A read was pending: the provider stalled, a failure of
 * the key. None was: the caller stopped reading, no fault of the key. An abort by the caller, the job
 * or `close()` gives the slot back too, as no failure. Later reads throw why the stream ended.
 */
export class StreamWatch {
  readonly #guard: StreamGuard;
  readonly #verdict: StreamVerdict;
  readonly #signals: readonly AbortSignal[];
  /** The SDK stream's own controller: the SDK aborts it itself when a read fails, so only an abort between reads is the caller's. */
  readonly #controller: AbortSignal | undefined;
  #reading = false;
  #lastChunkAt: number;
  #cancelTimer: () => void = () => undefined;
  /** Why the stream ended early; what every later read throws. */
  #ended: { readonly reason: unknown } | undefined;
  /** Rejects when the stream ends early, so a read the SDK never answers still ends. */
  readonly #interrupt: Promise<never>;
  #interruptWith: (reason: unknown) => void = () => undefined;

  constructor(guard: StreamGuard, verdict: StreamVerdict, controller?: AbortSignal) {
    this.#guard = guard;
    this.#verdict = verdict;
    this.#controller = controller;
    this.#signals = controller ? [guard.signal, controller] : [guard.signal];
    this.#lastChunkAt = guard.clock.now();
    this.#interrupt = new Promise<never>((_, reject) => {
      this.#interruptWith = reject;
    });
    this.#interrupt.catch(() => undefined);
    for (const signal of this.#signals) {
      if (signal.aborted) this.#stopped(signal.reason);
      else signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    if (!this.#ended) this.#arm(guard.idleTimeoutMs);
  }

  /** A chunk reached the caller: the idle deadline starts again. */
  delivered(): void {
    this.#lastChunkAt = this.#guard.clock.now();
  }

  throwIfEnded(): void {
    if (this.#ended) throw this.#ended.reason;
  }

  /** One read from the provider's stream; an error of an ended stream becomes why it ended. */
  async read<R>(next: () => Promise<R>): Promise<R> {
    this.throwIfEnded();
    this.#reading = true;
    try {
      return await Promise.race([next(), this.#interrupt]);
    } catch (error) {
      if (this.#ended) throw this.#ended.reason;
      this.stop();
      this.#verdict.fail(error);
      throw error;
    } finally {
      this.#reading = false;
    }
  }

  /** The stream ended (or failed) on its own, or was left: no more deadline. */
  stop(): void {
    this.#cancelTimer();
    for (const signal of this.#signals) signal.removeEventListener('abort', this.#onAbort);
  }

  readonly #onAbort = (event: Event): void => {
    if (event.target === this.#controller && this.#reading) return;
    this.#stopped((event.target as AbortSignal).reason);
  };

  #stopped(reason: unknown): void {
    this.#endEarly(reason);
    this.#verdict.end();
  }

  #endEarly(reason: unknown): void {
    if (this.#ended) return;
    this.#ended = { reason };
    this.stop();
    this.#interruptWith(reason);
    this.#guard.abort(reason);
  }

  #arm(ms: number): void {
    this.#cancelTimer = startTimer(this.#guard.clock, ms, () => this.#check());
  }

  /** One timer for the whole stream: on firing it is re-armed for what is left since the last chunk. */
  #check(): void {
    const { clock, idleTimeoutMs } = this.#guard;
    const idle = clock.now() - this.#lastChunkAt;
    if (idle < idleTimeoutMs) {
      this.#arm(idleTimeoutMs - idle);
      return;
    }
    const stalled = this.#reading;
    const error = new StreamTimeoutError(
      'idle',
      idleTimeoutMs,
      stalled ? 'no chunk came from the provider' : 'the stream was not read',
    );
    this.#endEarly(error);
    if (stalled) this.#verdict.fail(error);
    else this.#verdict.end();
  }
}
