import { checkFallbackList } from '../config/fallbacks.js';
import { UnsupportedTargetError } from '../core/errors.js';
import type { FallbackReason, ModelTarget } from '../core/fallback.js';
import type { JobResult } from './gateway-job.js';
import { translateChat } from './gateway-translate.js';
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

/** Where an OpenAI-wire chat completion goes on each provider, relative to its key's base URL. */
const CHAT_PATHS: Readonly<Partial<Record<GatewayProvider, string>>> = {
  openai: '/chat/completions',
  groq: '/openai/v1/chat/completions',
};

/** A request aimed at one target: what goes upstream, and how the answer reads as the client's. */
export interface Retargeted {
  readonly request: UpstreamRequest;
  /** A translated target's answer in the client's wire format; none when the target speaks it. */
  readonly back?: (result: JobResult) => JobResult;
}

/**
 * The request aimed at a fallback target: its body's `model` swapped; on another provider that speaks
 * the same wire format (OpenAI ↔ Groq chat completions), that provider's path; an OpenAI-wire chat
 * completion to Anthropic or Gemini, translated (see `translateChat`). Anything else is skipped as
 * `unsupported`: the gateway relays other endpoints as they are.
 */
export function retargetUpstream(request: UpstreamRequest, parsed: unknown, target: ModelTarget): Retargeted {
  if (target.provider === request.provider) {
    const body = Buffer.from(JSON.stringify({ ...(parsed as object), model: target.model }));
    return { request: { ...request, model: target.model, body } };
  }
  const from = CHAT_PATHS[request.provider];
  if (from === undefined || request.path !== from) {
    throw new UnsupportedTargetError(
      `the gateway relays ${request.provider} ${request.path} as it is: ${target.provider} cannot take it`,
      target.provider,
    );
  }
  const to = CHAT_PATHS[target.provider as GatewayProvider];
  if (to !== undefined) {
    const body = Buffer.from(JSON.stringify({ ...(parsed as object), model: target.model }));
    const provider = target.provider as GatewayProvider;
    return { request: { ...request, provider, model: target.model, path: to, body } };
  }
  const translated = translateChat(request, parsed, target);
  if (translated === undefined) {
    throw new UnsupportedTargetError(
      `the gateway has no route to ${target.provider} for a chat completion`,
      target.provider,
    );
  }
  return translated;
}
