import type { BuiltinProvider } from '../../config/options.js';

const PREFIX: Record<BuiltinProvider, string> = {
  openai: 'OPENAI',
  anthropic: 'ANTHROPIC',
  gemini: 'GEMINI',
  groq: 'GROQ',
};

const EXTRA: Record<BuiltinProvider, readonly string[]> = {
  openai: [],
  anthropic: ['CLAUDE_API_KEY'],
  gemini: ['GOOGLE_API_KEY'],
  groq: [],
};

/** The environment variables keymux reads a provider's keys from, for messages that say where to put them. */
export function keyEnvVars(provider: BuiltinProvider): string[] {
  const p = PREFIX[provider];
  return [`${p}_API_KEYS`, `${p}_API_KEY`, `${p}_API_KEY_1…N`, ...EXTRA[provider]];
}

export function baseUrlEnvVar(provider: BuiltinProvider): string {
  return `${PREFIX[provider]}_BASE_URL`;
}

export function missingKeysMessage(provider: BuiltinProvider, withConfig: boolean): string {
  const where = keyEnvVars(provider).join(', ');
  const config = withConfig ? ' or pass --config keymux.json' : '';
  return `no ${provider} keys found: set one of ${where} (comma lists allowed)${config}`;
}

/**
 * The raw keys of a provider from the environment, by keymux's conventions (comma list, single,
 * numbered), deduplicated. Only the bench needs the values themselves: its baselines build SDK
 * clients without keymux.
 */
export function readEnvKeys(provider: BuiltinProvider, env: NodeJS.ProcessEnv): string[] {
  const p = PREFIX[provider];
  const numbered = Object.keys(env)
    .map((name) => ({ name, n: new RegExp(`^${p}_API_KEY_(\\d+)$`).exec(name)?.[1] }))
    .filter((x): x is { name: string; n: string } => x.n !== undefined)
    .sort((a, b) => Number(a.n) - Number(b.n))
    .map((x) => x.name);
  const names = [`${p}_API_KEYS`, `${p}_API_KEY`, ...numbered, ...EXTRA[provider]];
  const values = names.flatMap((name) => (env[name] ?? '').split(',').map((v) => v.trim()));
  return [...new Set(values.filter((v) => v !== ''))];
}
