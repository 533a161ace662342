import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** The binary (`REDIS_SERVER_BIN`, else `redis-server` on the PATH); CI installs Debian's when it is missing. */
const BINARY = process.env.REDIS_SERVER_BIN ?? 'redis-server';

/**
 * A redis-server of one's own, on a free loopback port, without persistence: tests and the bench's Redis
 * outage never touch a server they did not start. `stop()` and `start()` again keep the port.
 */
export class RedisServer {
  #child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly password: string | undefined,
  ) {}

  /** `password`: the server requires it (`--requirepass`), for tests of a wrong one. */
  static async start(options: { readonly password?: string } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options.password);
    await server.start();
    return server;
  }

  /** Without the password, if any: tests add the one they mean to try. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  async start(): Promise<void> {
    if (this.#child) return;
    const child = spawn(
      BINARY,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        ...(this.password === undefined ? [] : ['--requirepass', this.password]),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.resume();
      child.once('error', (error) => reject(new Error(`cannot start ${BINARY}: ${error.message}`)));
      child.once('exit', (code) => reject(new Error(`${BINARY} exited with ${code}: ${output.slice(-500)}`)));
    });
  }

  /** Freezes the server (SIGSTOP): connections stay open and every command waits, as on a stalled host. */
  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  /** Kills the server at once, as a crash would. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    child.kill('SIGCONT');
    await exited;
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}
