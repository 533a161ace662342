/**
 * The SDK client type of each built-in provider, filled in by its entry point: `import 'keymux/openai'`
 * (or `keymux/anthropic`, `keymux/groq`, `keymux/gemini`, `keymux/genai`) adds its SDK here. The root
 * entry point's types thus import no SDK: a program with only `openai` installed type-checks with
 * `skipLibCheck: false`, and a client whose SDK types were not imported is a named error, not `any`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: an interface for the entry points to augment
export interface SdkClients {}

/** The built-in SDKs, by the name of their entry point. */
export type SdkName = 'openai' | 'anthropic' | 'groq' | 'gemini' | 'genai';

/** Stands for an SDK client whose types were not imported: its one property says which import adds them. */
export interface SdkTypesNotImported<Name extends SdkName> {
  readonly 'add once: import "keymux/<name>" (keymux/openai, keymux/anthropic, keymux/groq, keymux/gemini, keymux/genai)': Name;
}

/** The SDK client of `Name` once `keymux/<name>` is imported; else `SdkTypesNotImported<Name>`. */
export type SdkClient<Name extends SdkName> = Name extends keyof SdkClients
  ? SdkClients[Name]
  : SdkTypesNotImported<Name>;
