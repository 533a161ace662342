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

/** Whether the environment holds at least one key of the provider, by any of keymux's conventions. */
export function hasKeysInEnv(provider: BuiltinProvider, env: NodeJS.ProcessEnv): boolean {
  const p = PREFIX[provider];
  const names = Object.keys(env).filter(
    (name) =>
      name === `${p}_API_KEYS` ||
      name === `${p}_API_KEY` ||
      new RegExp(`^${p}_API_KEY_\\d+$`).test(name) ||
      EXTRA[provider].includes(name),
  );
  return names.some((name) => (env[name] ?? '').split(',').some((v) => v.trim() !== ''));
}

export function missingKeysMessage(provider: BuiltinProvider, withConfig: boolean): string {
  const where = keyEnvVars(provider).join(', ');
  const config = withConfig ? ' or pass --config keymux.json' : '';
  return `no ${provider} keys found: set one of ${where} (comma lists allowed)${config}`;
}
