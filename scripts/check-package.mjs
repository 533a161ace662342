// The package as a user gets it: `npm pack` (prepack builds dist/), publint and attw on the tarball, then a
// scratch app in a temp folder installs the tarball beside the official SDKs, type-checks and runs the
// examples importing only `keymux` and `keymux/emulator`, and drives the `keymux` bin (emulate + batch).
// Run by .ci/run after `npm test`; by hand: `npm run check:package`. Exits non-zero on the first failure.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const EXAMPLES = ['openai.ts', 'anthropic.ts', 'groq.ts', 'gemini.ts', 'batch-1000.ts'];
const REQUIRED = ['dist/index.js', 'dist/index.d.ts', 'dist/emulator/index.js', 'dist/emulator/index.d.ts'];

const started = Date.now();
const step = (what) =>
  console.log(`\n[check-package +${((Date.now() - started) / 1000).toFixed(1)}s] ${what}`);
const run = (cmd, args, cwd, options = {}) =>
  execFileSync(cmd, args, { cwd, stdio: 'inherit', timeout: 300_000, ...options });
const fail = (message) => {
  console.error(`check-package: ${message}`);
  process.exit(1);
};
const versionOf = (name) =>
  JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

const work = mkdtempSync(join(tmpdir(), 'keymux-pack-'));
try {
  step('npm pack (prepack builds dist/)');
  // Lifecycle output goes to stderr so that stdout is the JSON report alone.
  const packed = JSON.parse(
    execFileSync(npm, ['pack', '--json', '--pack-destination', work], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      env: { ...process.env, npm_config_foreground_scripts: 'false' },
    }).replace(/^[^[]*/, ''),
  )[0];
  const tarball = join(work, packed.filename);
  const files = new Map(packed.files.map((f) => [f.path, f]));
  for (const path of [...REQUIRED, 'package.json']) if (!files.has(path)) fail(`the tarball lacks ${path}`);
  const bin = files.get('dist/cli/main.js');
  if (!bin) fail('the tarball lacks dist/cli/main.js');
  if ((bin.mode & 0o111) === 0) fail('dist/cli/main.js is not executable in the tarball');
  if (!readFileSync(join(root, 'dist/cli/main.js'), 'utf8').startsWith('#!/usr/bin/env node\n')) {
    fail('dist/cli/main.js has no shebang');
  }
  if ([...files.keys()].some((p) => p.startsWith('src/') || p.startsWith('test/')))
    fail('src/ or test/ packed');
  console.log(`${packed.filename}: ${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} kB packed`);

  step('publint');
  run(npm, ['exec', '--no', '--', 'publint', 'run', tarball, '--strict'], root);
  step('attw (ESM-only package: node10 and require() resolutions are not offered)');
  run(
    npm,
    ['exec', '--no', '--', 'attw', tarball, '--profile', 'esm-only', '--format', 'table-flipped'],
    root,
  );

  step('scratch app: install the tarball with the SDKs');
  const app = join(work, 'app');
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'keymux-pack-check', private: true, type: 'module' }, null, 2),
  );
  const sdks = ['openai', '@anthropic-ai/sdk', 'groq-sdk', '@google/generative-ai', '@google/genai'];
  const tools = ['typescript', '@types/node'];
  const specs = [...sdks, ...tools].map((name) => `${name}@${versionOf(name)}`);
  run(
    npm,
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball, ...specs],
    app,
  );

  step('examples, importing only keymux and keymux/emulator: type check against the packed .d.ts');
  for (const name of EXAMPLES) {
    const source = readFileSync(join(root, 'examples', name), 'utf8')
      .replaceAll("'../src/emulator/index.js'", "'keymux/emulator'")
      .replaceAll("'../src/index.js'", "'keymux'");
    if (/from '\.\.?\//.test(source))
      fail(`examples/${name} imports something other than the public exports`);
    writeFileSync(join(app, 'src', name), source);
  }
  copyFileSync(join(root, 'examples/batch/requests.jsonl'), join(app, 'requests.jsonl'));
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023'],
        types: ['node'],
        strict: true,
        exactOptionalPropertyTypes: true,
        // The SDKs' own .d.ts are not ours to check; keymux's are checked by attw and by use here.
        skipLibCheck: true,
        outDir: 'out',
        rootDir: 'src',
      },
      include: ['src'],
    }),
  );
  run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);

  for (const name of EXAMPLES) {
    step(`run examples/${name}`);
    run(process.execPath, [join('out', name.replace(/\.ts$/, '.js'))], app, { timeout: 120_000 });
  }

  step('the keymux bin');
  const keymux = join(app, 'node_modules/.bin/keymux');
  if ((statSync(keymux).mode & 0o111) === 0) fail('node_modules/.bin/keymux is not executable');
  const version = execFileSync(keymux, ['--version'], { cwd: app, encoding: 'utf8' }).trim();
  if (version !== pkg.version) fail(`keymux --version printed ${version}, expected ${pkg.version}`);
  run(keymux, ['emulate', '--help'], app, { stdio: 'ignore' });
  await batchAgainstEmulator(keymux, app);

  step(`all good (${((Date.now() - started) / 1000).toFixed(1)}s)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** `keymux emulate` as a server, then `keymux batch` over the 10-line example file through it. */
async function batchAgainstEmulator(keymux, app) {
  const server = spawn(keymux, ['emulate', '--port', '0', '--keys', '2', '--latency', '1-5'], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise((resolveUrl, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`keymux emulate did not start: ${out}`)), 30_000);
      server.stdout.on('data', (chunk) => {
        out += chunk;
        const found = /listening on (http:\/\/\S+)/.exec(out);
        if (found) {
          clearTimeout(timer);
          resolveUrl(found[1]);
        }
      });
      server.on('exit', (code) => reject(new Error(`keymux emulate exited with ${code}: ${out}`)));
    });
    const env = { ...process.env, OPENAI_API_KEYS: 'sk-emu-1,sk-emu-2', OPENAI_BASE_URL: `${url}/v1` };
    run(keymux, ['batch', 'requests.jsonl', '-o', 'out.jsonl', '--no-progress'], app, { env });
    const lines = readFileSync(join(app, 'out.jsonl'), 'utf8').trim().split('\n').map(JSON.parse);
    const ok = lines.filter((line) => line.response?.status_code === 200 && line.error == null);
    if (lines.length !== 10 || ok.length !== 10) fail(`keymux batch wrote ${ok.length}/10 good lines`);
    console.log('keymux batch: 10/10 lines answered through the emulator');
  } finally {
    server.kill('SIGINT');
  }
}
