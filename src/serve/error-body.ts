/** The error formats clients expect: the SDKs pick their error class from the status and read these bodies. */
export type Dialect = 'openai' | 'anthropic' | 'gemini';

const ANTHROPIC_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

const GOOGLE_STATUS: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
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
