import type { StreamWatch } from './stream-watch.js';

/**
 * A stream the SDK reads to its end anyway (`@google/generative-ai` tees it into `response`): it is
 * read here as it arrives, so the idle deadline measures the provider, not the caller, and the caller
 * gets the chunks from a buffer. Not reading it costs no more than the SDK's tee already holds.
 */
export function pumpedStream(
  first: IteratorResult<unknown>,
  iterator: AsyncIterator<unknown>,
  watch: StreamWatch,
): AsyncGenerator<unknown, void, undefined> {
  const chunks: unknown[] = first.done ? [] : [first.value];
  type Outcome = { readonly failed: false } | { readonly failed: true; readonly error: unknown };
  // In an object: the pump sets it from another async function, which narrowing cannot follow.
  const state: { outcome: Outcome | undefined } = { outcome: first.done ? { failed: false } : undefined };
  let wake: () => void = () => undefined;
  const pump = async (): Promise<void> => {
    try {
      for (;;) {
        const next = await watch.read(() => iterator.next());
        if (next.done) break;
        chunks.push(next.value);
        watch.delivered();
        wake();
      }
      state.outcome = { failed: false };
    } catch (error) {
      state.outcome = { failed: true, error };
    }
    wake();
  };
  if (!state.outcome) void pump();
  return (async function* () {
    for (;;) {
      if (chunks.length > 0) {
        yield chunks.shift();
        continue;
      }
      const { outcome } = state;
      if (outcome?.failed) throw outcome.error;
      if (outcome) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  })();
}
