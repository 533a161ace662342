import type { FailureClass } from '../core/failure.js';

interface JobEntry {
  model: string;
  failure: FailureClass | undefined;
  /** Attempts started and not yet ended (a stream's ends after its job settled). */
  running: number;
  settled: boolean;
}

/** Distinct model labels kept before the rest are counted as `other`: a client names the model. */
const MAX_MODELS = 100;
const MODEL = /^[A-Za-z0-9][\w.:/@-]{0,99}$/;
/** Bounds the table should an event ever go missing. */
const MAX_JOBS = 100_000;

/**
 * What the metrics know of a job between its events: the model its request named (for the `model`
 * label) and its last failure class (its final outcome). An entry lives from the job's first attempt
 * until it settled and its last attempt ended.
 */
export class JobLabels {
  readonly #jobs = new Map<number, JobEntry>();
  readonly #models = new Set<string>();

  started(jobId: number): void {
    const entry = this.#jobs.get(jobId);
    if (entry !== undefined) {
      entry.running++;
      return;
    }
    if (this.#jobs.size >= MAX_JOBS) this.#jobs.clear();
    this.#jobs.set(jobId, { model: '', failure: undefined, running: 1, settled: false });
  }

  setModel(jobId: number, model: string | undefined): void {
    const entry = this.#jobs.get(jobId);
    if (entry !== undefined) entry.model = this.#label(model);
  }

  model(jobId: number): string {
    return this.#jobs.get(jobId)?.model ?? '';
  }

  lastFailure(jobId: number): FailureClass | undefined {
    return this.#jobs.get(jobId)?.failure;
  }

  ended(jobId: number, failure: FailureClass | undefined): void {
    const entry = this.#jobs.get(jobId);
    if (entry === undefined) return;
    entry.running--;
    if (failure !== undefined) entry.failure = failure;
    if (entry.settled && entry.running <= 0) this.#jobs.delete(jobId);
  }

  settled(jobId: number): void {
    const entry = this.#jobs.get(jobId);
    if (entry === undefined) return;
    entry.settled = true;
    if (entry.running <= 0) this.#jobs.delete(jobId);
  }

  #label(model: string | undefined): string {
    if (model === undefined || model === '') return '';
    if (!MODEL.test(model)) return 'other';
    if (this.#models.has(model)) return model;
    if (this.#models.size >= MAX_MODELS) return 'other';
    this.#models.add(model);
    return model;
  }
}
