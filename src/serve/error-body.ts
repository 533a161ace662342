/** The error formats clients expect: the SDKs pick their error class from the status and read these bodies. */
export type Dialect = 'openai' | 'anthropic' | 'gemini';

const ANTHROPIC_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

const GOOGLE_STATUS: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function openAIType(status: number): string {
  if (status === 401) return 'invalid_request_error';
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** A body in the provider's own error shape, for an error the gateway itself answers. */
export function errorBody(dialect: Dialect, status: number, message: string, code?: string): object {
  if (dialect === 'anthropic') {
    const type = ANTHROPIC_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    return { type: 'error', error: { type, message } };
  }
  if (dialect === 'gemini') {
    return { error: { code: status, message, status: GOOGLE_STATUS[status] ?? 'UNKNOWN' } };
  }
  return { error: { message, type: openAIType(status), param: null, code: code ?? null } };
}

const ADMIN_CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  408: 'request_timeout',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
};

/** The admin API's error shape: `{ error: { code, message } }`. */
export function adminErrorBody(status: number, message: string): object {
  return { error: { code: ADMIN_CODES[status] ?? (status >= 500 ? 'internal_error' : 'error'), message } };
}

/** Which SDK calls this path, by its prefix: Anthropic's and Gemini's routes, the admin API, else OpenAI's. */
export function dialectOfPath(url: string): Dialect | 'admin' {
  if (url.startsWith('/anthropic/')) return 'anthropic';
  if (url.startsWith('/gemini/')) return 'gemini';
  if (url.startsWith('/admin') || url.startsWith('/dashboard')) return 'admin';
  return 'openai';
}

/** An error the gateway answers itself, in the shape the caller of that path reads. */
export function errorBodyFor(url: string, status: number, message: string, code?: string): object {
  const dialect = dialectOfPath(url);
  return dialect === 'admin' ? adminErrorBody(status, message) : errorBody(dialect, status, message, code);
}
