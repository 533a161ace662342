/** The `keymux` package: what a program using it needs, and nothing more (the manual: docs/). */
export type { ClientOptions } from './clients/client-options.js';
export type { SdkClient, SdkTypesNotImported } from './clients/sdk-types.js';
export { type StreamDeadline, StreamTimeoutError } from './clients/streams/stream-timeout-error.js';
export type { KeyRotationOptions } from './clients/with-key-rotation.js';
export type { BatchOffloadOptions } from './config/offload-options.js';
export type {
  BuiltinProvider,
  CallOptions,
  FallbackMap,
  KeyOptions,
  Logger,
  MultiplexerOptions,
  RateLimits,
  Strategy,
  TelemetryOptions,
} from './config/options.js';
export type { Clock } from './core/clock.js';
export {
  type AttemptRecord,
  AttemptTimeoutError,
  BudgetExceededError,
  type BudgetRefusal,
  ConfigError,
  DeadlineExceededError,
  type ErrorCode,
  isKeymuxError,
  KeymuxError,
  MissingSdkError,
  NoAvailableKeyError,
  ProviderError,
  QueueFullError,
  RateLimitedError,
  RetriesExhaustedError,
  ShutdownError,
  TimeoutError,
  UnsupportedTargetError,
} from './core/errors.js';
export type {
  EventOf,
  KeymuxEvent,
  KeymuxEventType,
  KeyRef,
  Listener,
  TokenUsage,
} from './core/events.js';
export type { Failure, FailureClass } from './core/failure.js';
export type { FallbackFailure, FallbackReason, ModelTarget } from './core/fallback.js';
export type { JobContext } from './core/job-context.js';
export type { KeyCheckResult } from './core/key-check.js';
export type { OffloadedBatch, OffloadJournal } from './core/offload-journal.js';
export type { LimitReading, RateLimitInfo } from './core/rate-limit-info.js';
export type { UsageBuckets } from './core/usage-buckets.js';
export { clearApiKeyCache, type SelectApiKeyOptions, selectApiKey } from './dispatch/select-api-key.js';
export { Multiplexer } from './multiplexer.js';
export type { OffloadStats } from './offload/batch-offloader.js';
export type { CheckResponse, ClientSpec, ProviderAdapter } from './providers/adapter.js';
export { classifyError } from './providers/classify.js';
export { createGenericAdapter, type GenericAdapterOptions } from './providers/generic.js';
export type { BudgetOptions } from './spend/budget-config.js';
export type { BudgetSnapshot } from './spend/budget-ledger.js';
export type { BudgetPeriod } from './spend/period.js';
export { type ModelPrice, PRICE_TABLE_VERSION, type PriceOverrides, priceRatio } from './spend/prices.js';
export type { CostRow } from './spend/spend.js';
export type {
  KeyStats,
  ModelLimitStats,
  ProviderStats,
  SpendStats,
  UsageStats,
} from './stats/usage-stats.js';
export { type MemoryStore, type MemoryStoreOptions, memoryStore } from './store/memory-store.js';
export type { RedisClientLike } from './store/redis-client.js';
export type { RedisReadiness } from './store/redis-startup.js';
export { type RedisStore, redisStore } from './store/redis-store.js';
export type { RedisStoreOptions } from './store/redis-store-options.js';
export type { KeyStateStore, StoreEvent, StoreMode } from './store/store.js';
