// Import rules for src/, run by `npm run lint` (lint:deps). Layers, from the bottom: core (clock, events,
// errors, redaction, the types several layers share) imports nothing of ours; then config, providers,
// worker, keys, dispatch, stats, the multiplexer, and cli on top. The emulator stands apart.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
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
      name: 'telemetry-sits-beside',
      severity: 'error',
      comment:
        'src/telemetry turns the jobs into OpenTelemetry spans through the interfaces of core/telemetry.ts: ' +
        'the layers it observes never import it, and it imports nothing of theirs.',
      from: { path: '^src/telemetry/' },
      to: { path: '^src/', pathNot: '^src/(core|config|telemetry)/' },
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
