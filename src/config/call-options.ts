import { ConfigError } from '../core/errors.js';
import { checkDeadline } from './deadline.js';
import { fail, failWord } from './describe-value.js';
import { checkFallbackList } from './fallbacks.js';
import type { CallOptions } from './options.js';
import { parseStrategy } from './strategy.js';
import { closestName } from './suggest.js';

const CALL_FIELDS: readonly (keyof CallOptions)[] = [
  'strategy',
  'keyName',
  'priority',
  'signal',
  'timeoutMs',
  'tokens',
  'tag',
  'deadline',
  'fallbacks',
  'model',
];

function isSignal(value: unknown): value is AbortSignal {
  if (typeof AbortSignal !== 'undefined' && value instanceof AbortSignal) return true;
  // A signal from another realm or polyfill: what keymux uses of it.
  const v = value as Partial<AbortSignal> | null;
  return (
    v !== null &&
    typeof v === 'object' &&
    typeof v.aborted === 'boolean' &&
    typeof v.addEventListener === 'function' &&
    typeof v.removeEventListener === 'function'
  );
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && !Number.isNaN(value);

/**
 * Checks the per-call options of `execute` and of a wrapped client (`getOpenAIClient(options)`), and
 * returns them with the strategy in its canonical spelling. `path` prefixes the field in errors.
 * Throws ConfigError; `execute` turns that into a rejected promise.
 */
export function validateCallOptions(call: unknown, path = ''): CallOptions {
  if (call === undefined) return {};
  const at = (field: string): string => (path === '' ? field : `${path}.${field}`);
  if (call === null || typeof call !== 'object' || Array.isArray(call)) {
    fail(path || 'options', 'an object of call options', call);
  }
  const record = call as Readonly<Record<string, unknown>>;
  for (const field of Object.keys(record)) {
    if ((CALL_FIELDS as readonly string[]).includes(field)) continue;
    const shown = /^[A-Za-z_$][\w$]{0,39}$/.test(field);
    const near = shown ? closestName(field, CALL_FIELDS) : undefined;
    throw new ConfigError(
      shown ? at(field) : path || 'options',
      `${shown ? `\`${field}\`` : 'a field'} is not a call option${near ? `: did you mean ${near}?` : ''}; known: ${CALL_FIELDS.join(', ')}`,
    );
  }
  const { strategy, keyName, priority, signal, timeoutMs, tokens, tag, deadline, fallbacks, model } = record;
  const out: { -readonly [F in keyof CallOptions]: CallOptions[F] } = {};
  if (strategy !== undefined) out.strategy = parseStrategy(strategy, at('strategy'));
  if (keyName !== undefined) {
    if (typeof keyName !== 'string' || keyName.trim() === '') failWord(at('keyName'), 'a key name', keyName);
    out.keyName = keyName;
  }
  if (priority !== undefined) {
    if (!isNumber(priority) || !Number.isFinite(priority)) fail(at('priority'), 'a finite number', priority);
    out.priority = priority;
  }
  if (tokens !== undefined) {
    if (!isNumber(tokens) || !Number.isFinite(tokens) || tokens < 0) {
      fail(at('tokens'), 'a finite number from 0 and up', tokens);
    }
    out.tokens = tokens;
  }
  if (timeoutMs !== undefined) {
    if (!isNumber(timeoutMs) || timeoutMs <= 0) {
      fail(at('timeoutMs'), 'a number of ms greater than 0, or Infinity', timeoutMs);
    }
    out.timeoutMs = timeoutMs;
  }
  if (tag !== undefined) {
    if (typeof tag !== 'string' || tag.trim() === '') failWord(at('tag'), 'a tag name', tag);
    out.tag = tag;
  }
  if (deadline !== undefined) out.deadline = checkDeadline(deadline, at('deadline'));
  if (signal !== undefined) {
    if (!isSignal(signal)) fail(at('signal'), 'an AbortSignal', signal);
    out.signal = signal;
  }
  if (fallbacks !== undefined) out.fallbacks = Object.freeze(checkFallbackList(fallbacks, at('fallbacks')));
  if (model !== undefined) {
    if (typeof model !== 'string' || model.trim() === '') failWord(at('model'), 'a model name', model);
    out.model = model;
  }
  return out;
}
