/** What a caller's signal aborts: a job's cancellation. */
export interface Abortable {
  abort(reason: unknown): void;
}

/**
 * The jobs linked to each caller's signal. A signal shared by many calls (one per batch, one per
 * request handler) carries a single listener that aborts them all, not one listener per job: Node
 * warns past 10 listeners on one signal, and adding and removing thousands of them costs time.
 */
const linked = new WeakMap<AbortSignal, Set<Abortable>>();

function listenerFor(signal: AbortSignal): () => void {
  const onAbort = (): void => {
    const jobs = linked.get(signal);
    linked.delete(signal);
    for (const job of jobs ?? []) job.abort(signal.reason);
  };
  return onAbort;
}

const listeners = new WeakMap<AbortSignal, () => void>();

/** Aborts `job` when `signal` aborts (at once if it already has); returns what undoes the link. */
export function linkSignal(signal: AbortSignal, job: Abortable): () => void {
  if (signal.aborted) {
    job.abort(signal.reason);
    return () => undefined;
  }
  let jobs = linked.get(signal);
  if (jobs === undefined) {
    jobs = new Set();
    linked.set(signal, jobs);
    const onAbort = listenerFor(signal);
    listeners.set(signal, onAbort);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  jobs.add(job);
  return () => {
    const current = linked.get(signal);
    if (current === undefined || !current.delete(job) || current.size > 0) return;
    linked.delete(signal);
    const onAbort = listeners.get(signal);
    listeners.delete(signal);
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  };
}
