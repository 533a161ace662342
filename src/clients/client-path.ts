import type { ChatHistory } from './chat-history.js';

/**
 * One step of a recorded path: a property read, or a sync factory call (replayed on each key's
 * client); a chat session's factory call carries the chat's history into its arguments.
 */
export type Step =
  | { readonly get: string }
  | { readonly call: readonly unknown[]; readonly chat?: ChatHistory | undefined };

/** The chat session a path runs in, if any. */
export function chatOf(steps: readonly Step[]): ChatHistory | undefined {
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    if ('call' in step && step.chat) return step.chat;
  }
  return undefined;
}

type AnyFunction = (...args: unknown[]) => unknown;

/** The same path walked on a key's own SDK client: the function to apply and its `this`. */
export function resolvePath(client: object, steps: readonly Step[]): { fn: AnyFunction; owner: object } {
  let owner: object = client;
  let value: unknown = client;
  for (const step of steps) {
    if ('get' in step) {
      owner = value as object;
      value = Reflect.get(owner, step.get);
    } else {
      value = (value as AnyFunction).apply(owner, [...step.call]);
    }
  }
  if (typeof value !== 'function') throw new TypeError(`${describe(steps)} is not a function on this client`);
  return { fn: value as AnyFunction, owner };
}

function describe(steps: readonly Step[]): string {
  return steps.map((s) => ('get' in s ? s.get : '()')).join('.');
}
