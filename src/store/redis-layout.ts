/**
 * Where one pool's state lives: every key of one provider under one Cluster hash tag,
 * `keymux:{<prefix>:<provider>}:…`, so each script touches a single slot and runs on Redis Cluster.
 */
export class RedisLayout {
  constructor(readonly prefix: string) {}

  #tag(provider: string): string {
    return `keymux:{${this.prefix}:${provider}}`;
  }

  /** The rate schedules (`t:<limit>`) and learned limits (`l:<limit>`) of one key or quota group. */
  rate(provider: string, scope: string): string {
    return `${this.#tag(provider)}:rate:${scope}`;
  }

  /** One key's deadlines: `cooldown`, `exhausted`, `open` (breaker). */
  key(provider: string, key: string): string {
    return `${this.#tag(provider)}:key:${key}`;
  }

  /** When the processes' hand-over after an outage ends (one for the deployment, see HANDOVER_LUA). */
  /** Every budget under one tag: a call's budgets, whatever their providers, move in one script. */
  budget(name: string): string {
    return `keymux:{${this.prefix}:budgets}:budget:${name}`;
  }

  handover(): string {
    return `keymux:{${this.prefix}}:handover`;
  }

  /** One key's half-open probe lease: a token with a TTL. */
  probe(provider: string, key: string): string {
    return `${this.#tag(provider)}:probe:${key}`;
  }
}
