// One request's path through src/, measured: `npx tsx scripts/request-path.ts`.
//
// Runs `mux.getOpenAIClient('round-robin').chat.completions.create(body)` against the emulator (in this
// process) with V8's precise coverage on. A first request warms everything up (module loading, the SDK's
// lazy parts, the key's client); the counters are then reset and a second, identical request runs: the src
// files (the emulator left out) with a function that ran during it are the request's path. `--json` prints
// the list as JSON, `--functions` the functions that ran in each file. Function-level counts (no block coverage), so a file counts when any of its functions
// ran, however little of it.
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { baseUrlFor, startEmulator } from '../src/emulator/index.js';
import { Multiplexer } from '../src/multiplexer.js';

interface FunctionCoverage {
  readonly functionName: string;
  readonly ranges: readonly { readonly count: number }[];
}
interface ScriptCoverage {
  readonly url: string;
  readonly functions: readonly FunctionCoverage[];
}

const root = fileURLToPath(new URL('../src/', import.meta.url));
const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false });

const emulator = await startEmulator({
  keys: [
    { key: 'sk-path-a-000000000000', name: 'a' },
    { key: 'sk-path-b-000000000000', name: 'b' },
  ],
  latency: { kind: 'none' },
});
const mux = new Multiplexer();
let files: string[] = [];
const ran = new Map<string, string[]>();
try {
  for (const name of ['a', 'b']) {
    mux.addKey('openai', {
      apiKey: `sk-path-${name}-000000000000`,
      baseURL: baseUrlFor('openai', emulator.url),
    });
  }
  const client = mux.getOpenAIClient('round-robin');
  // Warm up both keys (round-robin alternates), then reset the counters.
  await client.chat.completions.create(body);
  await client.chat.completions.create(body);
  await session.post('Profiler.takePreciseCoverage');
  await client.chat.completions.create(body);
  const { result } = (await session.post('Profiler.takePreciseCoverage')) as { result: ScriptCoverage[] };
  files = result
    .filter((script) => script.url.startsWith('file://'))
    .map((script) => ({
      path: fileURLToPath(script.url),
      ran: script.functions.some((f) => f.ranges[0]!.count > 0),
    }))
    .filter((s) => s.ran && s.path.startsWith(root) && !s.path.startsWith(`${root}emulator/`))
    .map((s) => s.path.slice(root.length))
    .sort();
  for (const script of result) {
    if (!script.url.startsWith('file://')) continue;
    const path = fileURLToPath(script.url).slice(root.length);
    const names = script.functions
      .filter((f) => f.ranges[0]!.count > 0)
      .map((f) => f.functionName || '(anonymous)');
    if (files.includes(path)) ran.set(path, names);
  }
} finally {
  await session.post('Profiler.stopPreciseCoverage');
  session.disconnect();
  await mux.close();
  await emulator.close();
}

const folders = [
  ...new Set(files.map((f) => (f.includes('/') ? f.slice(0, f.lastIndexOf('/')) : '.'))),
].sort();
if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ files, folders }, null, 2));
} else {
  const verbose = process.argv.includes('--functions');
  for (const f of files) console.log(verbose ? `${f}: ${ran.get(f)?.join(', ')}` : f);
  console.log(`${files.length} files in ${folders.length} folders (${folders.join(', ')})`);
}
