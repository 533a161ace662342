import { type ChatHints, isPlainObject } from './client-hints.js';

/**
 * One wrapped chat session's history. A key's session is made afresh for every message (any key
 * may answer it), so the history each one ends with is kept here and given to the next as its
 * starting history: `startChat({ history })`, `chats.create({ history })`. As the SDKs' own
 * sessions, it sends one message at a time: the next waits for the last reply (or stream) to end.
 */
export class ChatHistory {
  readonly #args: readonly unknown[];
  readonly #hints: ChatHints;
  #history: unknown[] | undefined;
  #pending: Promise<void> = Promise.resolve();

  constructor(args: readonly unknown[], hints: ChatHints) {
    this.#args = args;
    this.#hints = hints;
  }

  /** The factory's arguments, with the history so far in its params. */
  get args(): readonly unknown[] {
    if (this.#history === undefined) return this.#args;
    const [params, ...rest] = this.#args;
    return [{ ...(isPlainObject(params) ? params : {}), history: this.#history }, ...rest];
  }

  /** After a message on a key's session: that session's history, once `ended`, is the chat's. */
  follow(session: object, ended: Promise<unknown>): void {
    this.#pending = ended
      .then(() => this.#hints.readHistory(session))
      .then(
        (history) => {
          if (Array.isArray(history)) this.#history = history;
        },
        () => undefined,
      );
  }

  /** Settles once the last message's history is in. */
  settled(): Promise<void> {
    return this.#pending;
  }
}

/** `getHistory()` of both Google SDKs' sessions (a Promise in one, an array in the other). */
export function googleChatHints(factory: string): ChatHints {
  return {
    factories: [factory],
    readHistory: (session) => (session as { getHistory(): unknown }).getHistory(),
  };
}
