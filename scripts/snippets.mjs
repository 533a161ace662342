// The code blocks of README.md and docs/*.md marked runnable (```ts runnable, ```js runnable) are run as
// written, against `keymux emulate` started with no flags: each block gets the environment the emulator's
// `export` lines set (OPENAI_API_KEYS, OPENAI_BASE_URL, … for every provider), as a reader who pasted them
// would. `scripts/check-package.mjs` runs them through the packed tarball (type-checking the TypeScript
// ones first); `npm run check:snippets` runs them here, on dist/ (`keymux` resolves to this package by
// its own name), after `npm run build`.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const RUNNABLE = /^```(ts|typescript|js|javascript|mjs)\s+runnable\s*$/;

/** Every runnable block: where it is (file:line), its language (ts or js) and its code. */
export function extractSnippets(dir = root) {
  const files = [
    join(dir, 'README.md'),
    ...readdirSync(join(dir, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => join(dir, 'docs', f)),
  ];
  const snippets = [];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const open = RUNNABLE.exec(lines[i] ?? '');
      if (!open) continue;
      const start = i + 1;
      while (i + 1 < lines.length && lines[i + 1] !== '```') i++;
      const where = `${relative(dir, file)}:${start}`;
      const lang = open[1]?.startsWith('t') ? 'ts' : 'js';
      const id = `${relative(dir, file).replace(/[^\w]+/g, '-')}-${start}`;
      snippets.push({ where, lang, id, code: `${lines.slice(start, i + 1).join('\n')}\n` });
    }
  }
  return snippets;
}

/** Starts `keymux emulate` with no flags (the command as given) and reads its `export` lines. */
export async function startEmulate(command, args, cwd) {
  const child = spawn(command, [...args, 'emulate', '--port', '0'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const banner = await new Promise((resolveBanner, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`keymux emulate did not start: ${out}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('Ctrl-C')) {
        clearTimeout(timer);
        resolveBanner(out);
      }
    });
    child.on('exit', (code) => reject(new Error(`keymux emulate exited with ${code}: ${out}`)));
  });
  const env = {};
  for (const line of banner.split('\n').filter((l) => l.startsWith('export '))) {
    for (const pair of line.slice('export '.length).split(' ')) {
      const at = pair.indexOf('=');
      env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  if (!env.OPENAI_API_KEYS) throw new Error(`keymux emulate printed no export lines:\n${banner}`);
  return { env, stop: () => child.kill('SIGTERM') };
}

/**
 * Runs each `{ where, file }` with node in `cwd` and the emulator's environment; returns the failures.
 * The environment is the process's own minus any real provider keys, plus the emulator's.
 */
export function runFiles(runs, cwd, emulatorEnv) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/_(API_KEYS?|API_KEY_\d+|BASE_URL)$/.test(name)),
  );
  const failures = [];
  for (const { where, file } of runs) {
    const started = Date.now();
    try {
      execFileSync(process.execPath, [file], {
        cwd,
        env: { ...base, ...emulatorEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
        encoding: 'utf8',
      });
      console.log(`  ok    ${where} (${Date.now() - started} ms)`);
    } catch (error) {
      console.log(`  FAIL  ${where}`);
      failures.push(`${where}: ${error.stderr || error.message}`);
    }
  }
  return failures;
}

async function main() {
  const { transformSync } = await import('esbuild');
  const out = join(root, '.snippets');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const snippets = extractSnippets();
  const runs = snippets.map(({ where, lang, id, code }) => {
    const file = join(out, `${id}.mjs`);
    const js = lang === 'ts' ? transformSync(code, { loader: 'ts', format: 'esm' }).code : code;
    writeFileSync(file, js);
    return { where, file };
  });
  const emulate = await startEmulate(process.execPath, [join(root, 'dist/cli/main.js')], root);
  let failures;
  try {
    console.log(`${runs.length} runnable blocks in README.md and docs/, on dist/ against keymux emulate:`);
    failures = runFiles(runs, out, emulate.env);
  } finally {
    emulate.stop();
  }
  if (failures.length > 0) {
    console.error(`\n${failures.join('\n')}`);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) await main();
