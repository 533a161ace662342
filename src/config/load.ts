import type { EnvConfig } from './env.js';
import { loadConfigFile, parseConfig } from './file.js';
import type { KeyOptions, Strategy } from './options.js';

/** What a parsed configuration is applied to: the multiplexer, seen through what loading needs. */
export interface ConfigTarget {
  hasProvider(name: string): boolean;
  /** A provider the configuration names that has no adapter yet: the generic one, by name. */
  registerProvider(adapter: { readonly name: string }): unknown;
  addKey(provider: string, key: KeyOptions): unknown;
  setStrategy(strategy: Strategy, provider: string): void;
}

/** A config object, or the path of a JSON file holding one (then a Promise), read and checked. */
export function loadConfig(config: object): EnvConfig;
export function loadConfig(config: string): Promise<EnvConfig>;
export function loadConfig(config: object | string): EnvConfig | Promise<EnvConfig> {
  return typeof config === 'string' ? loadConfigFile(config) : parseConfig(config);
}

/** Adds the configuration's keys (registering providers it names) and sets its strategies. */
export function applyConfig(parsed: EnvConfig, target: ConfigTarget): void {
  for (const { provider, options } of parsed.keys) {
    if (!target.hasProvider(provider)) target.registerProvider({ name: provider });
    target.addKey(provider, options);
  }
  for (const [provider, strategy] of Object.entries(parsed.strategies))
    target.setStrategy(strategy, provider);
}
