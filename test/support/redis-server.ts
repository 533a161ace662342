/** The tests' redis-server is the one `keymux bench --redis-outage-ms` runs: one implementation. */
import { RedisServer as Server } from '../../src/cli/shared/redis-server.js';
import { redisServerBinary } from './system-binaries.js';

export type RedisServer = Server;

/** `RedisServer.start()`, failing with the command that installs redis-server when it is missing. */
export const RedisServer = {
  start(options: { readonly password?: string } = {}): Promise<Server> {
    redisServerBinary();
    return Server.start(options);
  },
};
