import type { ProviderName } from '../config/options.js';

/**
 * Which of a pool's rate limits a request of `model` counts against, as each provider counts them: OpenAI,
 * Groq and Gemini keep limits per model (a dated snapshot with its model: `gpt-4.1-2025-04-14` is
 * `gpt-4.1`; Gemini's `models/` prefix dropped); Anthropic per model class (`claude-sonnet-4-5` and
 * `claude-sonnet-4-6` share "Claude Sonnet 4.x"; older names without their date).
 */
export function modelScope(provider: ProviderName, model: string): string {
  switch (provider) {
    case 'openai':
      return model.replace(/-\d{4}-\d{2}-\d{2}$/, '');
    case 'gemini':
      return model.replace(/^models\//, '');
    case 'anthropic': {
      const family = /^claude-(opus|sonnet|haiku)-(\d+)(?:[-.]|$)/.exec(model);
      return family ? `claude-${family[1]}-${family[2]}` : model.replace(/-\d{8}$/, '');
    }
    case 'groq':
      return model;
  }
}
