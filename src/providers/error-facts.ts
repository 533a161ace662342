import { type HeaderReader, headerReader, isRecord } from './wire-values.js';

type Rec = Record<string, unknown>;

/** What any SDK's error (or a fetch Response-like error) says, read defensively from an unknown value. */
export interface ErrorFacts {
  readonly status: number | undefined;
  /** `name` and the constructor's name: the SDKs' classes mostly leave `name` as 'Error'. */
  readonly names: readonly string[];
  /** The provider's own words (body message first), unshortened. */
  readonly message: string;
  /** Machine-readable codes and types found on the error and its body (`insufficient_quota`, …). */
  readonly codes: readonly string[];
  readonly headers: HeaderReader | undefined;
  /** Google's `error.details` (RetryInfo, QuotaFailure, ErrorInfo), from either Gemini SDK. */
  readonly details: readonly Record<string, unknown>[];
}

function prop(value: unknown, name: string): unknown {
  if (!isRecord(value) && typeof value !== 'function') return undefined;
  try {
    return (value as Rec)[name];
  } catch {
    return undefined;
  }
}

function httpStatus(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

/** @google/genai's `ApiError` carries the whole JSON body as its message. */
function parseJsonMessage(message: string): Rec | undefined {
  const start = message.indexOf('{');
  if (start < 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(message.slice(start));
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function strings(...values: unknown[]): string[] {
  return values.filter((v): v is string => typeof v === 'string' && v.length > 0);
}

export function errorFacts(error: unknown): ErrorFacts {
  const ownMessage = typeof prop(error, 'message') === 'string' ? (prop(error, 'message') as string) : '';
  const response = prop(error, 'response');
  // OpenAI/Groq keep the body's `error` object; Anthropic keeps the whole body ({ type, error }).
  const body = prop(error, 'error');
  const json = body === undefined ? parseJsonMessage(ownMessage) : undefined;
  const inner = prop(body, 'error') ?? prop(json, 'error');
  const status =
    httpStatus(prop(error, 'status')) ??
    httpStatus(prop(error, 'statusCode')) ??
    httpStatus(prop(response, 'status')) ??
    httpStatus(prop(inner, 'code'));
  const detailsSource = prop(error, 'errorDetails') ?? prop(inner, 'details') ?? prop(body, 'details');
  const details = Array.isArray(detailsSource) ? detailsSource.filter(isRecord) : [];
  const bodyMessage = strings(prop(inner, 'message'), prop(body, 'message'))[0];
  const names = errorNames(error);
  return {
    status,
    names,
    message: bodyMessage ?? (ownMessage || String(error)),
    codes: strings(
      prop(error, 'code'),
      prop(error, 'type'),
      prop(body, 'code'),
      prop(body, 'type'),
      prop(inner, 'code'),
      prop(inner, 'type'),
      prop(inner, 'status'),
      ...details.map((d) => prop(d, 'reason')),
    ),
    headers: headerReader(prop(error, 'headers')) ?? headerReader(prop(response, 'headers')),
    details,
  };
}

export function errorNames(error: unknown): string[] {
  return strings(prop(error, 'name'), prop(prop(error, 'constructor'), 'name'));
}

/** The error and its causes, outermost first, a few levels deep. */
export function causeChain(error: unknown, depth = 4): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && chain.length <= depth; e = prop(e, 'cause')) {
    chain.push(e);
  }
  return chain;
}

export { prop };
