/** Options every built-in adapter factory takes. */
export interface AdapterOptions {
  /**
   * Wall-clock time in ms, for providers whose headers carry absolute instants (Anthropic's resets,
   * HTTP-date Retry-After). It compares against the provider's clock, so it is not keymux's injected
   * clock. @default Date.now
   */
  readonly now?: () => number;
}
