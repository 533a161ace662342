import { checkDeadline, type DeadlineInput } from '../config/deadline.js';
import { failWord } from '../config/describe-value.js';

/** What a client may ask of its request's job through headers, beside `x-keymux-fallbacks`. */
export interface CallHeaders {
  readonly deadline?: DeadlineInput;
  readonly tag?: string;
}

type Header = string | string[] | undefined;

const one = (value: Header): string | undefined => (Array.isArray(value) ? value[0] : value)?.trim();

/**
 * `x-keymux-deadline`: a duration from now (`90s`, `6h`, a number of ms) or an ISO 8601 time
 * (`2026-12-03T18:00:00Z`); `x-keymux-tag`: the request's tag, for fair shares and budgets. Throws
 * ConfigError (the gateway answers 400) when one is malformed.
 */
export function callHeaders(deadline: Header, tag: Header): CallHeaders {
  const out: { deadline?: DeadlineInput; tag?: string } = {};
  const d = one(deadline);
  if (d !== undefined) {
    const value = /^\d+$/.test(d) ? Number(d) : /^\d{4}-\d\d-\d\dT/.test(d) ? new Date(d) : d;
    out.deadline = checkDeadline(value, 'x-keymux-deadline');
  }
  const t = one(tag);
  if (t !== undefined) {
    if (!/^[\w.:@/-]{1,64}$/.test(t))
      failWord('x-keymux-tag', 'a tag of up to 64 letters, digits or ._:@/-', t);
    out.tag = t;
  }
  return out;
}
