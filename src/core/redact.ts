/** `sk-p…xyz1`: first 4 and last 4 characters; `****` when the value is shorter than 12. */
export function maskKey(value: string): string {
  if (value.length < 12) return '****';
  return `${value.slice(0, 4)}…${value.slice(-4)}`;
}

/** Replaces every occurrence of each secret in `text` by its mask. */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0 && out.includes(secret)) out = out.split(secret).join(maskKey(secret));
  }
  return out;
}
