/** How a step is retried after a transient error. */
export interface RetryPolicy {
  /** Attempts in all, the first included. After the last one fails the run is paused. */
  maxAttempts: number;
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Fraction of the delay randomized either way (0.2 → ±20%), so retries of many runs spread out. */
  jitter: number;
}

/** Five attempts, like the original's cap, from 200 ms doubling up to 10 s. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, initialMs: 200, maxMs: 10_000, factor: 2, jitter: 0.2 };

export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY, ...overrides };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError(`retry.maxAttempts must be an integer ≥ 1, got ${policy.maxAttempts}`);
  }
  if (policy.initialMs < 0 || policy.maxMs < 0 || policy.factor < 1 || policy.jitter < 0 || policy.jitter > 1) {
    throw new RangeError(`invalid retry policy ${JSON.stringify(policy)}`);
  }
  return policy;
}

/** Delay before attempt `failedAttempt + 1`; `random` in [0, 1). */
export function backoffMs(policy: RetryPolicy, failedAttempt: number, random: number = Math.random()): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, failedAttempt - 1));
  const spread = base * policy.jitter * (2 * random - 1);
  return Math.max(0, Math.round(Math.min(policy.maxMs, base + spread)));
}
