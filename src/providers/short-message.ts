const MAX_LENGTH = 200;

/**
 * A failure's message: one line, at most 200 characters, with URLs cut to origin and path so that
 * a `?key=…` query never travels into events, logs or errors.
 */
export function shortMessage(text: string): string {
  const noUrls = text.replace(/https?:\/\/[^\s"'<>)\]]+/g, (url) => {
    try {
      const parsed = new URL(url);
      return `${parsed.origin}${parsed.pathname}`;
    } catch {
      return '<url>';
    }
  });
  const noKeys = noUrls.replace(/([?&](?:key|api_key|apikey|api-key)=)[^&\s]+/gi, '$1***');
  const noBearer = noKeys.replace(/Bearer\s+\S+/gi, 'Bearer ***');
  const oneLine = noBearer.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_LENGTH ? `${oneLine.slice(0, MAX_LENGTH - 1)}…` : oneLine;
}
