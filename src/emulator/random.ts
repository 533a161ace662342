/** A deterministic source of numbers in [0, 1), so a seed reproduces a whole run. */
export type Random = () => number;

/** mulberry32: small, fast and good enough to spread latencies and pick fault victims. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max], both ends included. */
export function randomInt(random: Random, min: number, max: number): number {
  if (max <= min) return min;
  return min + Math.floor(random() * (max - min + 1));
}

/** FNV-1a, to derive a stable seed from a text (embeddings of the same input are the same vector). */
export function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A random hex id, as providers put in their object ids (`chatcmpl-…`, `msg_…`). */
export function randomId(random: Random, length = 24): string {
  let id = '';
  while (id.length < length)
    id += Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return id.slice(0, length);
}
