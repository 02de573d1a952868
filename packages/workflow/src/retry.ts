import { backoffDelayMs, type Backoff } from "@hydra/db/backoff";

/** How a step is retried after a transient error: how often, and how the pauses spread out. */
export interface RetryPolicy extends Backoff {
  /** Attempts in all, the first included. After the last one fails the run is paused. */
  maxAttempts: number;
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
export const backoffMs: (policy: RetryPolicy, failedAttempt: number, random?: number) => number = backoffDelayMs;
