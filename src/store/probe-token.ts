import { randomBytes } from 'node:crypto';

const PREFIX = `${process.pid.toString(36)}-${randomBytes(4).toString('hex')}`;
let counter = 0;

/** A token naming one probe lease, unique across processes, so only its holder can give it back. */
export function newProbeToken(): string {
  counter += 1;
  return `${PREFIX}-${counter.toString(36)}`;
}
