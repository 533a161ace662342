import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The first of `names` that is an executable file (a path, or a name looked up on the PATH); else throws
 * the one line that fixes it, so a suite that needs the binary fails loudly instead of being skipped.
 * `npm test`'s pretest (scripts/test-setup.mjs) installs both when it may.
 */
export function requireBinary(names: readonly (string | undefined)[], debianPackage: string): string {
  for (const name of names) {
    if (!name) continue;
    const candidates = name.includes('/')
      ? [name]
      : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name));
    for (const path of candidates) {
      try {
        accessSync(path, constants.X_OK);
        return path;
      } catch {}
    }
  }
  throw new Error(
    `${names.filter(Boolean).join(' / ')} not found; this suite needs it. Fix: sudo apt-get install -y ${debianPackage}`,
  );
}

export const redisServerBinary = (): string =>
  requireBinary([process.env.REDIS_SERVER_BIN, 'redis-server'], 'redis-server');

export const chromiumBinary = (): string =>
  requireBinary([process.env.CHROMIUM_BIN, 'chromium', 'chromium-browser', 'google-chrome'], 'chromium');
