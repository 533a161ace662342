import { checkFallbackList } from '../config/fallbacks.js';
import { UnsupportedTargetError } from '../core/errors.js';
import type { FallbackReason, ModelTarget } from '../core/fallback.js';
import type { JobResult } from './gateway-job.js';
import { CHAT_PATHS, GEMINI_MODEL, translateChat } from './gateway-translate.js';
import type { GatewayProvider, UpstreamRequest } from './upstream.js';

/** Which target answered a gateway request, and why it was not the first: sent on every response. */
export interface Served {
  provider: string;
  model: string | undefined;
  reason: FallbackReason | 'none';
}

export function servedHeaders(served: Served): Record<string, string> {
  return {
    'x-keymux-provider': served.provider,
    ...(served.model === undefined ? {} : { 'x-keymux-model': served.model }),
    'x-keymux-fallback-reason': served.reason,
  };
}

/** `x-keymux-fallbacks: a,b`: the request's own fallbacks (empty: none); throws ConfigError when malformed. */
export function fallbacksHeader(value: string | string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  const entries = text.trim() === '' ? [] : text.split(',').map((entry) => entry.trim());
  return checkFallbackList(entries, 'x-keymux-fallbacks');
}

/** A request aimed at one target: what goes upstream, and how the answer reads as the client's. */
export interface Retargeted {
  readonly request: UpstreamRequest;
  /** A translated target's answer in the client's wire format; none when the target speaks it. */
  readonly back?: (result: JobResult) => JobResult;
}

/** A Gemini method's path (`/v1beta/models/{model}:{method}`) and a model name that may go in it. */
const GEMINI_PATH = /^(\/v1(?:beta)?\/models\/)[^:/]+(:[A-Za-z]+)$/;

/** The same request on another model of its provider: the body's `model`, or Gemini's path. */
function sameProvider(request: UpstreamRequest, parsed: unknown, target: ModelTarget): Retargeted {
  if (request.provider !== 'gemini') {
    const body = Buffer.from(JSON.stringify({ ...(parsed as object), model: target.model }));
    return { request: { ...request, model: target.model, body } };
  }
  const path = GEMINI_PATH.exec(request.path);
  if (path === null || !GEMINI_MODEL.test(target.model)) {
    throw new UnsupportedTargetError(`no Gemini model path for ${target.model}`, target.provider);
  }
  return { request: { ...request, model: target.model, path: `${path[1]}${target.model}${path[2]}` } };
}

/**
 * The request aimed at a fallback target: on the same provider, its model swapped (the body's, or
 * Gemini's path); an OpenAI-wire chat completion on another provider that speaks it (OpenAI ↔ Groq),
 * that provider's path; across wire formats, a text-chat translation (see `translateChat`: OpenAI-wire
 * chat → Anthropic, Gemini; Anthropic Messages → OpenAI, Groq). Anything else is skipped as
 * `unsupported`: the gateway relays other endpoints as they are.
 */
export function retargetUpstream(request: UpstreamRequest, parsed: unknown, target: ModelTarget): Retargeted {
  if (target.provider === request.provider) return sameProvider(request, parsed, target);
  const from = CHAT_PATHS[request.provider];
  const to = CHAT_PATHS[target.provider as GatewayProvider];
  if (from !== undefined && request.path === from && to !== undefined) {
    const body = Buffer.from(JSON.stringify({ ...(parsed as object), model: target.model }));
    const provider = target.provider as GatewayProvider;
    return { request: { ...request, provider, model: target.model, path: to, body } };
  }
  const translated = translateChat(request, parsed, target);
  if (translated === undefined) {
    throw new UnsupportedTargetError(
      `the gateway has no translation of ${request.provider} ${request.path} for ${target.provider}`,
      target.provider,
    );
  }
  return translated;
}
