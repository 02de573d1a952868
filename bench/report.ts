/** One benchmark figure. `pnpm bench --json` prints each as one JSON line (SPEC §5). */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** What it is compared with, e.g. "bare INSERT round trip p50". */
  baseline: string;
}

/** A benchmark suite: measures and returns figures; prints nothing itself. */
export interface BenchSuite {
  name: string;
  run(): Promise<Figure[]>;
}

export function percentile(sortedOrNot: number[], p: number): number {
  if (sortedOrNot.length === 0) return Number.NaN;
  const sorted = [...sortedOrNot].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
