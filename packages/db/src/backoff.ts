/**
 * How the retries of one kind spread out: the pause grows from `initialMs` by `factor` each
 * retry up to `maxMs`, randomized ±`jitter` so that many callers failing together do not
 * retry in step. The one backoff rule of every package (workflow steps, cluster calls, the
 * routing client and lock, the edge agent).
 */
export interface Backoff {
  initialMs: number;
  /** The longest pause, jitter included. */
  maxMs: number;
  /** Growth per retry; 1 for a constant (jittered) pause. */
  factor: number;
  /** Fraction of the pause randomized either way, 0 to 1 (0.2 → ±20%). */
  jitter: number;
}

/** The pause before retry number `retry` (1 = the first); `random` in [0, 1). Never below 0 or above `maxMs`. */
export function backoffDelayMs(backoff: Backoff, retry: number, random: number = Math.random()): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.max(0, retry - 1));
  const spread = base * backoff.jitter * (2 * random - 1);
  return Math.max(0, Math.round(Math.min(backoff.maxMs, base + spread)));
}
