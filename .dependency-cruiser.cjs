// Import rules for src/, run by `npm run lint` (lint:deps). Layers, from the bottom: core (clock, events,
// errors, redaction, the per-key counters folded from the events, the types several layers share) imports
// nothing of ours; then spend (prices, budgets);
// config; providers (what
// a provider is) and policy (the rate-limit vocabulary); clients (SDK wrapping), store (backends), dispatch
// (the dispatcher, the key pools and each key's worker), stats, health-check; the multiplexer and the entry points;
// serve and cli on top. The emulator stands apart. CONTRIBUTING.md shows the same table.

/** Each layer of src/ and the layers it may import (besides itself). */
const LAYERS = {
  spend: ['core'],
  config: ['core', 'spend'],
  providers: ['core', 'config', 'spend'],
  policy: ['core', 'config'],
  translate: ['core'],
  clients: ['core', 'config', 'spend', 'providers', 'translate'],
  fallback: ['core', 'config', 'spend', 'providers'],
  store: ['core', 'policy'],
  dispatch: ['core', 'config', 'providers', 'policy'],
  stats: ['core', 'config', 'spend', 'policy', 'dispatch'],
  'health-check': ['core', 'config', 'providers', 'policy', 'dispatch'],
  // OpenTelemetry, behind the interfaces of core/telemetry.ts: the layers it observes never import it.
  telemetry: ['core', 'config'],
  // Batch offload: collects calls that can wait into the providers' Batch APIs; the multiplexer hosts it.
  offload: ['core', 'config'],
};

const layerRules = Object.entries(LAYERS).map(([layer, below]) => ({
  name: `layer-${layer}`,
  severity: 'error',
  comment: `src/${layer} imports only ${below.join(', ')}: a layer imports the layers below it, never above.`,
  from: { path: `^src/${layer}/` },
  to: { path: '^src/', pathNot: `^src/(${[layer, ...below].join('|')})/` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'library-below-serve-and-cli',
      severity: 'error',
      comment:
        'The library (the multiplexer, its entry points and the layers below) never imports serve or cli.',
      from: { path: '^src/', pathNot: '^src/(serve|cli|emulator)/' },
      to: { path: '^src/(serve|cli)/' },
    },
    {
      name: 'serve-below-cli',
      severity: 'error',
      comment: 'The gateway is used by the CLI, never the other way round.',
      from: { path: '^src/serve/' },
      to: { path: '^src/(cli|emulator)/' },
    },
    {
      name: 'no-file-cycle',
      severity: 'error',
      comment: 'Files that import each other, directly or through others, cannot be read or tested apart.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment: 'Folders are layers: a folder that imports another is never imported back by it.',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-imports-nothing-of-ours',
      severity: 'error',
      comment: 'src/core is the bottom layer: types shared by several layers move there, not upwards.',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'emulator-stands-apart',
      severity: 'error',
      comment: 'The emulator plays the provider: it must not share code with the client it tests.',
      from: { path: '^src/emulator/' },
      to: { path: '^src/', pathNot: '^src/emulator/' },
    },
  ],
  options: {
    includeOnly: '^src/',
    // Type-only imports count: a cycle through types is still a cycle between layers.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
