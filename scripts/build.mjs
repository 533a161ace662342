// `npm run build` (and `prepack`): dist/ afresh from src/, with the CLI executable so the packed `keymux`
// bin runs even where a package manager does not set the bit itself, and the `require` condition's file.

import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
chmodSync('dist/cli/main.js', 0o755);

// keymux is ESM-only: `require('keymux')` (any entry point) gets this one line instead of Node's
// ERR_PACKAGE_PATH_NOT_EXPORTED, which does not say what to do.
const HOW_TO_IMPORT =
  'keymux is an ES module: use import { Multiplexer } from \'keymux\' in an .mjs file (or in .js with "type": "module" in package.json), or await import(\'keymux\') from CommonJS';
writeFileSync(
  'dist/require.cjs',
  `'use strict';\n// The \`require\` condition of every entry point: keymux is ESM-only, so this only explains.\nmodule.exports = undefined;\nthrow new Error(${JSON.stringify(HOW_TO_IMPORT)});\n`,
);
writeFileSync(
  'dist/require.d.cts',
  `// keymux is ESM-only: require() of any entry point throws, saying how to import it.\ndeclare const esmOnly: never;\nexport = esmOnly;\n`,
);
