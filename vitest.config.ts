import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the `keymux` command once for the CLI tests, which then spawn plain node on it.
    globalSetup: ['test/support/build-cli.ts'],
    // Two files at once even on two cores (vitest's default there is one): many files spend their time
    // waiting on the emulator's latency or on child processes, not on the CPU.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // test/types/*.test-d.ts are checked by `npm run typecheck` (tsconfig includes test/), which
    // `npm test` runs first: a second tsc here cost 10–20 s of CPU for the same errors.
    typecheck: { enabled: false },
  },
});
