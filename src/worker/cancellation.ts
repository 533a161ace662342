/** Told once when a cancellation aborts: a function, or an object (a queued job is its own listener, no closure). */
export type AbortListener = ((reason: unknown) => void) | { handleAbort(reason: unknown): void };

/**
 * A job's abort state. Cheaper than an AbortController per job: listeners are plain callbacks (Node's
 * EventTarget costs microseconds per listener), and the AbortSignal handed to user code and SDKs is
 * only built when someone asks for it.
 */
export class Cancellation {
  #aborted = false;
  #reason: unknown;
  #listeners: AbortListener[] | undefined;
  #controller: AbortController | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  /** A standard signal that follows this cancellation. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    for (const listener of listeners ?? []) tell(listener, reason);
    this.#controller?.abort(reason);
  }

  /** Calls `listener` once on abort, at once if already aborted. */
  onAbort(listener: AbortListener): void {
    if (this.#aborted) {
      tell(listener, this.#reason);
      return;
    }
    this.#listeners ??= [];
    this.#listeners.push(listener);
  }

  offAbort(listener: AbortListener): void {
    const i = this.#listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.#listeners?.splice(i, 1);
  }

  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }
}

function tell(listener: AbortListener, reason: unknown): void {
  if (typeof listener === 'function') listener(reason);
  else listener.handleAbort(reason);
}
