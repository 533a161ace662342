// The package as a user gets it: `npm pack` (prepack builds dist/), publint and attw on the tarball, then
// - a scratch app with the tarball beside the five SDKs type-checks and runs the examples and every
//   runnable block of README.md and docs/ (against `keymux emulate`), and drives the bin (emulate + batch);
// - a newcomer's app (`npm init -y`, only `openai` installed) installs with no EBADENGINE warning, gets the
//   one-line error from `require('keymux')`, type-checks with `skipLibCheck: false`, and runs the README's
//   quick start as `index.mjs`.
// Run by .ci/run after `npm test`; by hand: `npm run check:package`. Exits non-zero on the first failure.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { extractSnippets, runFiles, startEmulate } from './snippets.mjs';

const root = resolve(import.meta.dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const EXAMPLES = ['openai.ts', 'anthropic.ts', 'groq.ts', 'gemini.ts', 'batch-1000.ts'];
const ENTRY_POINTS = [
  'index',
  'openai',
  'anthropic',
  'groq',
  'gemini',
  'genai',
  'emulator/index',
  'serve/index',
];
const REQUIRED = [
  ...ENTRY_POINTS.flatMap((e) => [`dist/${e}.js`, `dist/${e}.d.ts`]),
  'dist/require.cjs',
  'dist/require.d.cts',
];
const SDK_PACKAGES = ['openai', '@anthropic-ai/sdk', 'groq-sdk', '@google/generative-ai', '@google/genai'];

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
  const sdks = SDK_PACKAGES;
  // docs/telemetry.md's example prints spans with the OpenTelemetry SDK.
  const tools = ['typescript', '@types/node', '@opentelemetry/api', '@opentelemetry/sdk-trace-node'];
  const specs = [...sdks, ...tools].map((name) => `${name}@${versionOf(name)}`);
  run(
    npm,
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball, ...specs],
    app,
  );

  step('examples and the runnable blocks of the docs: type check against the packed .d.ts');
  for (const name of EXAMPLES) {
    const source = readFileSync(join(root, 'examples', name), 'utf8');
    if (/from '\.\.?\//.test(source))
      fail(`examples/${name} imports something other than the public exports`);
    writeFileSync(join(app, 'src', name), source);
  }
  const snippets = extractSnippets(root);
  mkdirSync(join(app, 'src', 'snippets'));
  mkdirSync(join(app, 'out', 'snippets'), { recursive: true });
  const snippetRuns = snippets.map(({ where, lang, id, code }) => {
    if (lang === 'ts') {
      writeFileSync(join(app, 'src', 'snippets', `${id}.ts`), code);
      return { where, file: join('out', 'snippets', `${id}.js`) };
    }
    writeFileSync(join(app, 'out', 'snippets', `${id}.mjs`), code);
    return { where, file: join('out', 'snippets', `${id}.mjs`) };
  });
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

  step(`the ${snippetRuns.length} runnable blocks of README.md and docs/, against keymux emulate (no flags)`);
  const emulate = await startEmulate(join(app, 'node_modules/.bin/keymux'), [], app);
  try {
    const failures = runFiles(snippetRuns, app, emulate.env);
    if (failures.length > 0) fail(`runnable blocks failed:\n${failures.join('\n')}`);
  } finally {
    emulate.stop();
  }

  step('the keymux bin');
  const keymux = join(app, 'node_modules/.bin/keymux');
  if ((statSync(keymux).mode & 0o111) === 0) fail('node_modules/.bin/keymux is not executable');
  const version = execFileSync(keymux, ['--version'], { cwd: app, encoding: 'utf8' }).trim();
  if (version !== pkg.version) fail(`keymux --version printed ${version}, expected ${pkg.version}`);
  run(keymux, ['emulate', '--help'], app, { stdio: 'ignore' });
  await batchAgainstEmulator(keymux, app);

  await newcomerApp(tarball, join(work, 'newcomer'), snippets);

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

/**
 * The issue-22 newcomer: `npm init -y` (npm 11 writes "type": "commonjs"), `npm install keymux openai`
 * and nothing else. No EBADENGINE; `require('keymux')` says how to import it; the types check with
 * `skipLibCheck: false` (the root .d.ts import no SDK); the README's quick start runs as index.mjs.
 */
async function newcomerApp(tarball, app, snippets) {
  step('newcomer app: npm init -y, install the tarball and openai only (no EBADENGINE)');
  mkdirSync(join(app, 'src'), { recursive: true });
  run(npm, ['init', '-y'], app, { stdio: 'ignore' });
  const specs = ['openai', 'typescript', '@types/node'].map((name) => `${name}@${versionOf(name)}`);
  const install = spawnSync(
    npm,
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=warn', tarball, ...specs],
    { cwd: app, encoding: 'utf8', timeout: 300_000 },
  );
  process.stdout.write(install.stdout);
  process.stderr.write(install.stderr);
  if (install.status !== 0) fail('npm install failed in the newcomer app');
  if (/EBADENGINE/.test(install.stdout + install.stderr)) fail(`EBADENGINE on node ${process.version}`);
  for (const sdk of SDK_PACKAGES.filter((name) => name !== 'openai')) {
    if (existsSync(join(app, 'node_modules', sdk))) fail(`${sdk} got installed; the check needs it absent`);
  }

  step("newcomer app: require('keymux') says how to import it");
  const required = spawnSync(process.execPath, ['-e', "require('keymux')"], { cwd: app, encoding: 'utf8' });
  if (
    required.status === 0 ||
    !/keymux is an ES module: use import \{ Multiplexer \} from 'keymux'/.test(required.stderr)
  )
    fail(`require('keymux') did not give the one-line hint:\n${required.stderr}`);

  step('newcomer app: type check with skipLibCheck false and only openai installed');
  writeFileSync(
    join(app, 'src', 'app.ts'),
    [
      "import 'keymux/openai';",
      "import type OpenAI from 'openai';",
      "import { Multiplexer, type SdkTypesNotImported } from 'keymux';",
      "import { startEmulator } from 'keymux/emulator';",
      '',
      "const emulator = await startEmulator({ keys: [{ key: 'sk-a', name: 'a' }] });",
      'const mux = new Multiplexer();',
      "const openai: OpenAI = mux.getOpenAIClient('least-loaded');",
      "// Without `import 'keymux/anthropic'` the client is a named stand-in, not `any`.",
      "const claude: SdkTypesNotImported<'anthropic'> = mux.getAnthropicClient();",
      'console.log(typeof openai.chat.completions.create, typeof claude);',
      'await mux.close();',
      'await emulator.close();',
      '',
    ].join('\n'),
  );
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
        skipLibCheck: false,
        noEmit: true,
      },
      include: ['src'],
    }),
  );
  writeFileSync(join(app, 'src', 'package.json'), JSON.stringify({ type: 'module' }));
  run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);

  step("newcomer app: the README's quick start, as index.mjs, against npx keymux emulate");
  const quickStart = snippets.find((s) => s.where.startsWith('README.md') && s.lang === 'js');
  if (!quickStart) fail('README.md has no runnable js block (the quick start)');
  writeFileSync(join(app, 'index.mjs'), quickStart.code);
  const emulate = await startEmulate(join(app, 'node_modules/.bin/keymux'), [], app);
  try {
    const failures = runFiles(
      [{ where: `${quickStart.where} as index.mjs`, file: 'index.mjs' }],
      app,
      emulate.env,
    );
    if (failures.length > 0) fail(failures.join('\n'));
  } finally {
    emulate.stop();
  }
}
