/** Told once when a cancellation aborts: a function, or an object (a queued job is its own listener, no closure). */
export type AbortListener = ((reason: unknown) => void) | { handleAbort(reason: unknown): void };

/** What only some cancellations need: made on first use, so a job nobody aborts or listens to has none. */
interface AbortState {
  aborted: boolean;
  reason: unknown;
  listeners: AbortListener[] | undefined;
  controller: AbortController | undefined;
}

/**
 * A job's abort state. Cheaper than an AbortController per job: listeners are plain callbacks (Node's
 * EventTarget costs microseconds per listener), and the AbortSignal handed to user code and SDKs is
 * only built when someone asks for it. One field until then: thousands of jobs wait at once.
 */
export class Cancellation {
  #state: AbortState | undefined;

  get aborted(): boolean {
    return this.#state?.aborted === true;
  }

  get reason(): unknown {
    return this.#state?.reason;
  }

  /** A standard signal that follows this cancellation. */
  get signal(): AbortSignal {
    const state = this.#use();
    if (!state.controller) {
      state.controller = new AbortController();
      if (state.aborted) state.controller.abort(state.reason);
    }
    return state.controller.signal;
  }

  abort(reason: unknown): void {
    const state = this.#use();
    if (state.aborted) return;
    state.aborted = true;
    state.reason = reason;
    const listeners = state.listeners;
    state.listeners = undefined;
    for (const listener of listeners ?? []) tell(listener, reason);
    state.controller?.abort(reason);
  }

  /** Calls `listener` once on abort, at once if already aborted. */
  onAbort(listener: AbortListener): void {
    const state = this.#use();
    if (state.aborted) {
      tell(listener, state.reason);
      return;
    }
    state.listeners ??= [];
    state.listeners.push(listener);
  }

  offAbort(listener: AbortListener): void {
    const listeners = this.#state?.listeners;
    const i = listeners?.indexOf(listener) ?? -1;
    if (i >= 0) listeners?.splice(i, 1);
  }

  throwIfAborted(): void {
    if (this.#state?.aborted) throw this.#state.reason;
  }

  #use(): AbortState {
    this.#state ??= { aborted: false, reason: undefined, listeners: undefined, controller: undefined };
    return this.#state;
  }
}

function tell(listener: AbortListener, reason: unknown): void {
  if (typeof listener === 'function') listener(reason);
  else listener.handleAbort(reason);
}
