import type { OffloadedBatch, OffloadJournal } from '../core/offload-journal.js';
import { Script, type ScriptRunner } from './redis-client.js';

// Two hashes under one hash tag: `batches` (id → the batch as JSON) and `ids` (custom_id → batch id).
const SAVE = new Script(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 3, #ARGV do redis.call('HSET', KEYS[2], ARGV[i], ARGV[1]) end
return 1`);
const FIND = new Script(`
local id = redis.call('HGET', KEYS[2], ARGV[1])
if not id then return false end
return redis.call('HGET', KEYS[1], id)`);
const REMOVE = new Script(`
redis.call('HDEL', KEYS[1], ARGV[1])
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[i]) end
end
return 1`);
const LIST = new Script(`return redis.call('HVALS', KEYS[1])`);

/**
 * Batch offload's journal in Redis: a restarted process, or another one on the same store, finds the batch
 * a custom_id went to and collects its results instead of paying for it twice.
 */
export function redisOffloadJournal(runner: ScriptRunner, prefix: string): OffloadJournal {
  const keys = [`keymux:{${prefix}:offload}:batches`, `keymux:{${prefix}:offload}:ids`];
  const parse = (value: unknown): OffloadedBatch | undefined =>
    typeof value === 'string' ? (JSON.parse(value) as OffloadedBatch) : undefined;
  return {
    async save(batch) {
      await SAVE.run(runner, keys, [batch.id, JSON.stringify(batch), ...batch.customIds]);
    },
    async find(customId) {
      return parse(await FIND.run(runner, keys, [customId]));
    },
    async remove(batch) {
      await REMOVE.run(runner, keys, [batch.id, ...batch.customIds]);
    },
    async list() {
      const values = await LIST.run(runner, keys, []);
      return (Array.isArray(values) ? values : []).flatMap((v) => parse(v) ?? []);
    },
  };
}
