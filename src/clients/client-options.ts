import type { CallOptions, Strategy } from '../config/options.js';

/** A strategy name, or per-call choices applied to every call made through the client. */
export type ClientOptions = Strategy | Omit<CallOptions, 'tokens' | 'model'>;
