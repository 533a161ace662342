import type { BuiltinProvider } from '../../../config/options.js';
import type { ProviderKit } from './provider-kit.js';

/** Loads one provider's kit only when asked: the SDKs are optional peer dependencies. */
export async function loadKit(provider: BuiltinProvider): Promise<ProviderKit> {
  try {
    switch (provider) {
      case 'openai':
        return (await import('./openai-kit.js')).openaiKit;
      case 'anthropic':
        return (await import('./anthropic-kit.js')).anthropicKit;
      case 'gemini':
        return (await import('./gemini-kit.js')).geminiKit;
      case 'groq':
        return (await import('./groq-kit.js')).groqKit;
    }
  } catch (error) {
    const pkg = {
      openai: 'openai',
      anthropic: '@anthropic-ai/sdk',
      gemini: '@google/generative-ai',
      groq: 'groq-sdk',
    };
    throw new Error(
      `the ${provider} bench needs the \`${pkg[provider]}\` package: npm install ${pkg[provider]}`,
      {
        cause: error,
      },
    );
  }
}
