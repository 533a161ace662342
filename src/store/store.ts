/** The store interface lives in core, so options can name it without depending on the store layer. */
export * from '../core/key-state-store.js';
export { floorOfReading } from '../policy/gcra.js';
