// `npm test`'s pretest: the store tests start a redis-server of their own, the dashboard test drives
// Chromium. Finds both; when one is missing, installs it with apt-get if this user may (root, or
// password-less sudo), else says which command fixes it. It never fails the run itself: a suite whose
// binary is missing then fails on its own, loudly, with the same command (never a skip).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The first of `names` that is an executable file, given as a path or looked up on the PATH. */
export function findBinary(names) {
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
  return undefined;
}

export const NEEDS = [
  {
    what: 'redis-server',
    pkg: 'redis-server',
    names: () => [process.env.REDIS_SERVER_BIN, 'redis-server'],
    tests: 'the store, shared-mode and bench --redis tests',
  },
  {
    what: 'chromium',
    pkg: 'chromium',
    names: () => [process.env.CHROMIUM_BIN, 'chromium', 'chromium-browser', 'google-chrome'],
    tests: 'the dashboard test',
  },
];

function sudoPrefix() {
  if (process.getuid?.() === 0) return [];
  const probe = spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' });
  return probe.status === 0 ? ['sudo', '-n'] : undefined;
}

function main() {
  const missing = NEEDS.filter((need) => findBinary(need.names()) === undefined);
  if (missing.length === 0) {
    console.log('test set-up: redis-server and chromium found');
    return;
  }
  const packages = missing.map((m) => m.pkg);
  const fix = `sudo apt-get install -y ${packages.join(' ')}`;
  const sudo = process.platform === 'linux' && findBinary(['apt-get']) ? sudoPrefix() : undefined;
  if (sudo) {
    console.log(`test set-up: installing ${packages.join(' and ')} with apt-get`);
    const command = [...sudo, 'apt-get', '-o', 'DPkg::Lock::Timeout=600'];
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const apt = (...args) =>
      spawnSync(command[0], [...command.slice(1), ...args], { stdio: 'inherit', env }).status === 0;
    if (apt('update', '-qq') && apt('install', '-y', '-qq', ...packages)) {
      const still = missing.filter((need) => findBinary(need.names()) === undefined);
      if (still.length === 0) return;
    }
  }
  for (const need of missing.filter((m) => findBinary(m.names()) === undefined)) {
    console.error(
      `test set-up: ${need.what} is missing, so ${need.tests} will fail. Fix: sudo apt-get install -y ${need.pkg}`,
    );
  }
  if (!sudo)
    console.error(`test set-up: (could not install it: no root, no password-less sudo; run: ${fix})`);
}

main();
