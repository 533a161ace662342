import type { IncomingHttpHeaders } from 'node:http';

/** Why the gateway refuses a request before reading its body, or undefined to let it through. */
export interface Refusal {
  readonly status: 403 | 415;
  readonly message: string;
}

const CROSS_SITE: Refusal = {
  status: 403,
  message: 'keymux: cross-site requests are refused (the Origin is not this gateway)',
};
const WRONG_HOST: Refusal = {
  status: 403,
  message: 'keymux: this Host is not served here (add it with --allowed-host)',
};
const NOT_JSON: Refusal = {
  status: 415,
  message: 'keymux: request bodies must be JSON (Content-Type: application/json)',
};

/** `Host`'s name, lower case, without port or IPv6 brackets; undefined when there is none. */
export function hostName(host: string | undefined): string | undefined {
  if (host === undefined || host === '') return undefined;
  const lower = host.toLowerCase();
  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    return end < 0 ? undefined : lower.slice(1, end);
  }
  const colon = lower.indexOf(':');
  const name = colon < 0 ? lower : lower.slice(0, colon);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** `host[:port]` as a browser writes it in Origin: lower case, the scheme's default port left out. */
function authority(host: string, scheme: string): string {
  const lower = host.toLowerCase();
  const defaultPort = scheme === 'https:' ? ':443' : ':80';
  return lower.endsWith(defaultPort) ? lower.slice(0, -defaultPort.length) : lower;
}

/** Whether the browser says this request comes from a page of this same gateway (or not from a page). */
function sameOrigin(headers: IncomingHttpHeaders, method: string): boolean {
  const origin = headers.origin;
  if (origin !== undefined) {
    if (origin === 'null') return false;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    return headers.host !== undefined && url.host === authority(headers.host, url.protocol);
  }
  // Browsers send Origin on every cross-origin request but top-level GETs; Sec-Fetch-Site says the rest.
  const site = headers['sec-fetch-site'];
  if (site === undefined || site === 'same-origin' || site === 'none') return true;
  return method === 'GET' && headers['sec-fetch-mode'] === 'navigate';
}

/**
 * The checks every route gets before anything else: the `Host` must be one this gateway serves (DNS
 * rebinding gives a page on a foreign name the gateway's address) and a browser's request must come
 * from the gateway's own pages (any web page can POST `text/plain` without a CORS preflight).
 */
export function crossSiteRefusal(
  headers: IncomingHttpHeaders,
  method: string,
  allowedHosts: ReadonlySet<string> | undefined,
): Refusal | undefined {
  if (allowedHosts !== undefined) {
    const name = hostName(headers.host);
    if (name === undefined || !(allowedHosts.has(name) || /^127\.\d+\.\d+\.\d+$/.test(name)))
      return WRONG_HOST;
  }
  if (headers.origin === undefined && headers['sec-fetch-site'] === undefined) return undefined;
  return sameOrigin(headers, method) ? undefined : CROSS_SITE;
}

/** Whether the request carries a body (declared length above 0, or chunked). */
export function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
}

/** A body must be declared JSON: a form or `text/plain` post is what a foreign page can send. */
export function contentTypeRefusal(headers: IncomingHttpHeaders): Refusal | undefined {
  if (!hasBody(headers)) return undefined;
  const type = headers['content-type'];
  if (type === undefined) return NOT_JSON;
  const semi = type.indexOf(';');
  const mime = (semi < 0 ? type : type.slice(0, semi)).trim().toLowerCase();
  return mime === 'application/json' ? undefined : NOT_JSON;
}
