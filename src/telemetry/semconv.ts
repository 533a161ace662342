/**
 * The names keymux emits, after the OpenTelemetry GenAI semantic conventions v1.41.0 (status: Development).
 * Pinned: a later version may rename them (1.37 renamed `gen_ai.system` to `gen_ai.provider.name`).
 */
export const SCHEMA_URL = 'https://opentelemetry.io/schemas/1.41.0';

/** keymux's provider names → `gen_ai.provider.name`; another provider keeps the name it was registered by. */
const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  gemini: 'gcp.gemini',
  groq: 'groq',
};

export function providerName(provider: string): string {
  return PROVIDER_NAMES[provider] ?? provider;
}

/** Default hosts, when a key's client names no base URL. */
const HOSTS: Readonly<Record<string, string>> = {
  openai: 'api.openai.com',
  anthropic: 'api.anthropic.com',
  gemini: 'generativelanguage.googleapis.com',
  groq: 'api.groq.com',
};

/** `server.address` and `server.port` of a key's client: its `baseURL`, else the provider's host. */
export function serverOf(provider: string, client: () => unknown): { address?: string; port?: number } {
  let base: unknown;
  try {
    base = (client() as { baseURL?: unknown } | null)?.baseURL;
  } catch {
    // No client (its SDK is missing): the call fails on its own.
  }
  if (typeof base === 'string') {
    try {
      const url = new URL(base);
      const port = url.port === '' ? (url.protocol === 'http:' ? 80 : 443) : Number(url.port);
      return { address: url.hostname, port };
    } catch {
      // Not a URL: fall back to the provider's host.
    }
  }
  const host = HOSTS[provider];
  return host === undefined ? {} : { address: host, port: 443 };
}

/** Histogram buckets the conventions advise for `gen_ai.client.operation.duration` (s). */
export const DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/** … and for `gen_ai.client.token.usage`. */
export const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
