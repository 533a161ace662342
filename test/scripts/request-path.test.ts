import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** `scripts/request-path.ts --json`: the src files a plain wrapped-client call ran a function of. */
async function requestPath(): Promise<{ files: string[]; folders: string[] }> {
  // Through tsx, not a bundle: the coverage tells files apart by their own URLs.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'scripts/request-path.ts', '--json'],
    { cwd: root },
  );
  return JSON.parse(stdout) as { files: string[]; folders: string[] };
}

describe('one plain call of a wrapped client (scripts/request-path.ts, issue 23)', () => {
  it('runs nothing of telemetry/ (no provider registered), clients/streams/ (no stream), stats/, spend/ (no budget) or the facade', async () => {
    const { files, folders } = await requestPath();
    expect(files.length).toBeGreaterThan(0);
    // Issue 23: at most 5 folders and about 20 files.
    expect(files.length).toBeLessThanOrEqual(20);
    for (const folder of folders) {
      expect(['clients', 'core', 'dispatch', 'policy', 'providers']).toContain(folder);
    }
    expect(files.filter((f) => /^(telemetry|stats|clients\/streams)\/|^multiplexer\.ts$/.test(f))).toEqual(
      [],
    );
  });
});
