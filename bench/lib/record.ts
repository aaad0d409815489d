/** One benchmark run: the JSON-lines record bench.py writes, which tunelab's worker writes too. */
export interface RunRecord {
  readonly function: string;
  /** bench.py's sampler key ("random", "tpe", ...) or a tunelab sampler key ("tunelab_random", ...). */
  readonly sampler: string;
  readonly seed: number;
  readonly n_trials: number;
  readonly wall_s: number;
  readonly eval_total_s: number;
  readonly regret_at: Readonly<Record<string, number>>;
  readonly regret_curve: readonly number[] | null;
  /** overhead_i in ms, one per trial (rounded to 4 decimals, as bench.py does). */
  readonly overhead_ms: readonly number[];
  readonly best_value: number;
  readonly best_params: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, unknown>>;
}

export const BUDGETS = [10, 25, 50, 100] as const;

/** Reads a JSON-lines file of records (a missing file reads as none). */
export function parseJsonl(text: string): RunRecord[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as RunRecord);
}
