/** State a strategy keeps between picks (the round-robin cursor). */
export interface PickState {
  cursor: number;
}
