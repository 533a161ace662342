import { createHash } from 'node:crypto';

/**
 * The one thing the Redis store asks of a client: run a script. Users pass their own node-redis (v5) or
 * ioredis (v5) client, single node or cluster; the shape tells which.
 */
export interface ScriptRunner {
  evalsha(sha: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  eval(script: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /** SCRIPT LOAD, when the client has it (a cluster client may not: scripts then load on first use). */
  load: ((script: string) => Promise<unknown>) | undefined;
}

/** node-redis: `client.evalSha(sha, { keys, arguments })`. */
interface NodeRedisLike {
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  scriptLoad?(script: string): Promise<unknown>;
}

/** ioredis: `client.evalsha(sha, numKeys, ...keys, ...args)`. */
interface IoRedisLike {
  evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  script?(subcommand: 'LOAD', script: string): Promise<unknown>;
}

export type RedisClientLike = NodeRedisLike | IoRedisLike;

function isNodeRedis(client: object): client is NodeRedisLike {
  return typeof (client as Partial<NodeRedisLike>).evalSha === 'function';
}

function isIoRedis(client: object): client is IoRedisLike {
  return typeof (client as Partial<IoRedisLike>).evalsha === 'function';
}

/** True for a value shaped like a node-redis or ioredis client. */
export function isRedisClient(client: unknown): client is RedisClientLike {
  return typeof client === 'object' && client !== null && (isNodeRedis(client) || isIoRedis(client));
}

/** A runner that counts the commands it sends (each one round trip to Redis). */
export function countingRunner(runner: ScriptRunner, count: () => void): ScriptRunner {
  const counted =
    <A extends unknown[]>(send: (...args: A) => Promise<unknown>) =>
    (...args: A): Promise<unknown> => {
      count();
      return send(...args);
    };
  const { load } = runner;
  return {
    evalsha: counted(runner.evalsha.bind(runner)),
    eval: counted(runner.eval.bind(runner)),
    load: load ? counted(load) : undefined,
  };
}

export function scriptRunner(client: RedisClientLike): ScriptRunner {
  if (isNodeRedis(client)) {
    return {
      evalsha: (sha, keys, args) => client.evalSha(sha, { keys: [...keys], arguments: [...args] }),
      eval: (script, keys, args) => client.eval(script, { keys: [...keys], arguments: [...args] }),
      load: typeof client.scriptLoad === 'function' ? (script) => client.scriptLoad!(script) : undefined,
    };
  }
  return {
    evalsha: (sha, keys, args) => client.evalsha(sha, keys.length, ...keys, ...args),
    eval: (script, keys, args) => client.eval(script, keys.length, ...keys, ...args),
    load: typeof client.script === 'function' ? (script) => client.script!('LOAD', script) : undefined,
  };
}

/** A Lua script with its SHA1, run by EVALSHA and loaded by EVAL when Redis answers NOSCRIPT. */
export class Script {
  readonly sha: string;
  constructor(readonly text: string) {
    this.sha = createHash('sha1').update(text).digest('hex');
  }

  async run(runner: ScriptRunner, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    try {
      return await runner.evalsha(this.sha, keys, args);
    } catch (error) {
      // A restarted Redis, a failover or SCRIPT FLUSH forgets scripts; EVAL runs and caches it again.
      if (!isNoScript(error)) throw error;
      return runner.eval(this.text, keys, args);
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
