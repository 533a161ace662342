import { inspect } from 'node:util';
import { maskKey } from './redact.js';

/**
 * A key's secret lives only in a private field; every printable form of this object shows the
 * name and the masked label.
 */
export class ApiKey {
  readonly #secret: string;
  readonly name: string;
  readonly label: string;

  constructor(name: string, secret: string) {
    this.#secret = secret;
    this.name = name;
    this.label = maskKey(secret);
  }

  /** The raw key, for building the SDK client only. */
  reveal(): string {
    return this.#secret;
  }

  toJSON(): { name: string; label: string } {
    return { name: this.name, label: this.label };
  }

  toString(): string {
    return `ApiKey(${this.name} ${this.label})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
