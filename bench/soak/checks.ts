import type { LedgerView } from '../../src/emulator/index.js';
import type { UsageStats } from '../../src/index.js';

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What the soak recorded on its side of the wire. */
export interface SoakRecord {
  readonly jobs: readonly string[];
  /** How many times each job's promise settled (must be 1). */
  readonly settled: ReadonlyMap<string, number>;
  readonly succeeded: ReadonlySet<string>;
  /** Jobs their caller aborted or timed out: a late success of theirs is discarded on purpose. */
  readonly callerEnded: ReadonlySet<string>;
  /** keymux `request` events per key name. */
  readonly requestsByKey: ReadonlyMap<string, number>;
  /** `request` events on a key while it was disabled or removed. */
  readonly usedWhileOut: readonly string[];
  /** When each key was removed (emulator clock), to check the ledger too. */
  readonly removedAt: ReadonlyMap<string, number>;
  readonly limits: { readonly rpm: number; readonly concurrency: number };
  readonly warnings: readonly string[];
}

const check = (name: string, ok: boolean, detail: string): Check => ({ name, ok, detail });

/** The invariants of issue 9, checked against the emulator's ledger. */
export function runChecks(
  record: SoakRecord,
  ledger: LedgerView,
  stats: UsageStats,
  keyNames: readonly string[],
): Check[] {
  const checks: Check[] = [];
  const notOnce = record.jobs.filter((id) => record.settled.get(id) !== 1);
  checks.push(
    check(
      'every job settled exactly once',
      notOnce.length === 0,
      `${notOnce.length} not once${notOnce.length ? ` (${notOnce.slice(0, 5).join(', ')})` : ''}`,
    ),
  );

  const okById = new Map<string, number>();
  for (const e of ledger.entries({ outcome: 'ok' })) {
    if (e.requestId !== undefined) okById.set(e.requestId, (okById.get(e.requestId) ?? 0) + 1);
  }
  const lost = [...okById.keys()].filter((id) => !record.succeeded.has(id) && !record.callerEnded.has(id));
  checks.push(
    check(
      'no success was lost',
      lost.length === 0,
      `${lost.length} answered by the server but failed${lost.length ? ` (${lost.slice(0, 5).join(', ')})` : ''}`,
    ),
  );
  const unseen = [...record.succeeded].filter((id) => !okById.has(id));
  const outcomes = (id: string): string =>
    ledger
      .entries()
      .filter((e) => e.requestId === id)
      .map((e) => `${e.outcome}${e.fault ? `/${e.fault}` : ''}`)
      .join('+');
  checks.push(
    check(
      'every success is in the ledger',
      unseen.length === 0,
      `${unseen.length} missing${
        unseen.length
          ? ` (${unseen
              .slice(0, 3)
              .map((id) => `${id}: ${outcomes(id)}`)
              .join(', ')})`
          : ''
      }`,
    ),
  );
  const twice = ledger.duplicates();
  checks.push(check('no job answered twice', twice.length === 0, `${twice.length} duplicates`));

  const ledgerByKey = ledger.countByKey();
  const mismatched = keyNames.filter((k) => (record.requestsByKey.get(k) ?? 0) !== (ledgerByKey[k] ?? 0));
  const statsOk =
    stats.providers.openai?.keys.every((k) => k.requests === (record.requestsByKey.get(k.name) ?? 0)) ??
    false;
  checks.push(
    check(
      'stats agree with the ledger',
      mismatched.length === 0 && statsOk,
      mismatched.length === 0
        ? `requests per key equal (${Object.values(ledgerByKey).reduce((a, b) => a + b, 0)} in the ledger)`
        : mismatched
            .slice(0, 5)
            .map((k) => `${k}: keymux ${record.requestsByKey.get(k) ?? 0} / ledger ${ledgerByKey[k] ?? 0}`)
            .join('; '),
    ),
  );

  const lateOnRemoved = [...record.removedAt].flatMap(([key, at]) =>
    ledger.entries({ key }).filter((e) => e.startedAt > at + 1000),
  );
  checks.push(
    check(
      'no key used while disabled or removed',
      record.usedWhileOut.length === 0 && lateOnRemoved.length === 0,
      `${record.usedWhileOut.length} requests started on an out key, ${lateOnRemoved.length} reached the server after removal`,
    ),
  );

  let worstWindow = 0;
  let worstConcurrency = 0;
  for (const key of keyNames) {
    worstWindow = Math.max(worstWindow, ledger.maxPerSlidingWindow(key, 60_000));
    worstConcurrency = Math.max(worstConcurrency, ledger.peakConcurrency(key));
  }
  checks.push(
    check(
      'no configured limit exceeded in any window',
      worstWindow <= record.limits.rpm && worstConcurrency <= record.limits.concurrency,
      `busiest minute ${worstWindow}/${record.limits.rpm} rpm, peak ${worstConcurrency}/${record.limits.concurrency} in flight`,
    ),
  );
  checks.push(
    check(
      'no warning printed',
      record.warnings.length === 0,
      record.warnings.slice(0, 3).join('; ') || 'none',
    ),
  );
  return checks;
}
