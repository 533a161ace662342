/**
 * How providers scope their rate limits within a key's organization or project: OpenAI, Groq and Gemini
 * per model, Anthropic per model class. A key's rate-limit state (its buckets learned from headers, its
 * cooldown after a 429) is kept per scope, so one model's limit holds back no other model's calls.
 * Quota, billing and auth stay the key's. Each function maps a request's model to its scope.
 */

/** OpenAI: per model; a dated snapshot counts with its model (`gpt-4.1-2025-04-14` is `gpt-4.1`). */
export function openAILimitScope(model: string): string {
  return model.replace(/-\d{4}-\d{2}-\d{2}$/, '');
}

/** Groq: per model, as named. */
export function groqLimitScope(model: string): string {
  return model;
}

/** Gemini: per model per project; the `models/` prefix dropped. */
export function geminiLimitScope(model: string): string {
  return model.replace(/^models\//, '');
}

/**
 * Anthropic: per model class ("Claude Sonnet 4.x" covers `claude-sonnet-4-5` and `claude-sonnet-4-6`);
 * older names (`claude-3-5-haiku-20241022`) per model, without their date.
 */
export function anthropicLimitScope(model: string): string {
  const family = /^claude-(opus|sonnet|haiku)-(\d+)(?:[-.]|$)/.exec(model);
  return family ? `claude-${family[1]}-${family[2]}` : model.replace(/-\d{8}$/, '');
}
