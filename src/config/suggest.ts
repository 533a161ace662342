/** Edit distance (insert, delete, substitute, swap of neighbours), case-insensitive. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= t.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[s.length]![t.length]!;
}

/**
 * The known name closest to a mistyped one, when close enough to be a typo (a third of its length,
 * at least 2 edits), or when one contains the other. `aliases` maps other libraries' names
 * (`maxConcurrency`) to ours, and their typos count too (`maxConcurency` → `maxConcurrentRequests`).
 */
export function closestName(
  name: string,
  known: Iterable<string>,
  aliases: Readonly<Record<string, string>> = {},
): string | undefined {
  const names = [...known];
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of [...names, ...Object.keys(aliases)]) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = aliases[candidate] ?? candidate;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  if (bestDistance <= Math.max(2, Math.ceil(name.length / 3))) return best;
  const lower = name.toLowerCase();
  if (lower.length >= 4) {
    for (const candidate of names) if (candidate.toLowerCase().includes(lower)) return candidate;
  }
  return undefined;
}
