/** The tests' redis-server is the one `keymux bench --redis-outage-ms` runs: one implementation. */
export { RedisServer } from '../../src/cli/shared/redis-server.js';
