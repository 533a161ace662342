import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Where the tests' one build of the `keymux` command goes (git-ignored): two levels below the root, as
 * in dist/, so that the command finds ../../package.json as the packed bin does.
 */
export const CLI_BUNDLE = fileURLToPath(new URL('../../dist-test/cli/main.js', import.meta.url));

/**
 * Vitest global setup: builds src/cli/main.ts once per run (esbuild, about 0.1 s), so every CLI test
 * spawns plain `node` on it instead of loading tsx and transforming the sources in each child (about
 * 1 s of CPU per spawn). Dependencies stay external: the child loads the same SDKs a user's would.
 */
export default async function setup(): Promise<void> {
  await bundleForNode(fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)), CLI_BUNDLE);
}

/** One ESM bundle of `entry` for plain `node`, its npm dependencies left as imports. */
export async function bundleForNode(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
}
