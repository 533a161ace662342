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
    // The two workers each load src/ once, not once per file: with isolation every file re-imported vitest,
    // the SDKs and src/ in a fresh process, half of the suite's CPU (137 s of user + sys without, 69 s with,
    // on this machine under load). The price: a file leaves no global state behind (vi.unstubAllEnvs, a
    // registered OpenTelemetry provider disabled in afterAll, module caches keyed by ids no other file uses).
    isolate: false,
    // Timeouts only catch hangs: on a busy machine a test that spawns the CLI can take ten times its
    // usual time, and that must not fail it (the suite's speed is judged by its CPU time, not here).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Likewise for expect.poll (vitest's default gives up after 1 s).
    expect: { poll: { timeout: 30_000 } },
    // test/types/*.test-d.ts are checked by `npm run typecheck` (tsconfig includes test/), which
    // `npm test` runs first: a second tsc here cost 10–20 s of CPU for the same errors.
    typecheck: { enabled: false },
  },
});
