import { UnsupportedTargetError } from '../core/errors.js';
import type { ModelTarget } from '../core/fallback.js';
import type { ProviderAdapter } from './adapter.js';
import type { ClientHints } from './client-hints.js';
import { isPlainObject } from './client-hints.js';
import type { Step } from './client-path.js';
import { createGroqAdapter } from './groq.js';
import { createOpenAIAdapter } from './openai.js';
import { stainlessHints } from './sdk-hints.js';
import type { WrapContext } from './wrap-context.js';

/** Providers whose SDKs speak the OpenAI wire format: a chat completion goes to them as it is. */
const OPENAI_WIRE: Readonly<Record<string, () => { hints: ClientHints; adapter: ProviderAdapter }>> = {
  openai: () => ({ hints: stainlessHints('openai', 'openai', 'OpenAI'), adapter: createOpenAIAdapter() }),
  groq: () => ({ hints: stainlessHints('groq', 'groq-sdk', 'Groq'), adapter: createGroqAdapter() }),
};

const wireContexts = new Map<string, { hints: ClientHints; adapter: ProviderAdapter }>();

function wireOf(provider: string): { hints: ClientHints; adapter: ProviderAdapter } | undefined {
  const make = OPENAI_WIRE[provider];
  if (make === undefined) return undefined;
  let made = wireContexts.get(provider);
  if (!made) {
    made = make();
    wireContexts.set(provider, made);
  }
  return made;
}

/** The request's model, when its body names one (`create({ model, … })`): what fallbacks are keyed by. */
export function modelOf(args: readonly unknown[]): string | undefined {
  const body = args[0];
  return isPlainObject(body) && typeof body.model === 'string' ? body.model : undefined;
}

function dottedOf(path: readonly Step[]): string {
  return path.map((s) => ('get' in s ? s.get : '()')).join('.');
}

/**
 * The same call aimed at another model: the body's `model` swapped; on another provider, that
 * provider's client, when it speaks the same wire format. Throws UnsupportedTargetError otherwise.
 */
export function retarget(
  ctx: WrapContext,
  path: readonly Step[],
  args: readonly unknown[],
  target: ModelTarget,
): { readonly ctx: WrapContext; readonly args: readonly unknown[] } {
  const moved = [{ ...(args[0] as object), model: target.model }, ...args.slice(1)];
  const from = ctx.hints.provider;
  if (target.provider === from) return { ctx, args: moved };
  const dotted = dottedOf(path);
  const wire = wireOf(target.provider);
  if (wire && wireOf(from) && dotted === 'chat.completions.create') {
    // Another provider's keys: a `specific` key of the first provider means nothing there.
    const { keyName: _key, strategy, ...call } = ctx.call;
    const own = strategy === 'specific' ? call : { ...call, ...(strategy ? { strategy } : {}) };
    return { ctx: { ...ctx, ...wire, call: own }, args: moved };
  }
  throw new UnsupportedTargetError(
    `${from} ${dotted}() cannot be sent to ${target.provider}: no translation carries it`,
    target.provider,
  );
}
