import { backoffMs, DEFAULT_RETRY, retryPolicy } from "./retry";

describe("backoffMs", () => {
  // The rule itself is @hydra/db's backoffDelayMs (its table is in backoff.test.ts); this is the default policy's spread.
  it.each([
    [1, 0, 160],
    [1, 0.999999, 240],
    [3, 0.5, 800],
    [20, 0.999999, 10_000],
  ])("with the default policy, after failed attempt %i and random %f, waits %i ms", (attempt, random, expected) => {
    expect(backoffMs(DEFAULT_RETRY, attempt, random)).toBe(expected);
  });
});

describe("retryPolicy", () => {
  it("fills defaults", () => {
    expect(retryPolicy({ maxAttempts: 2 })).toEqual({ ...DEFAULT_RETRY, maxAttempts: 2 });
  });

  it.each([[{ maxAttempts: 0 }], [{ maxAttempts: 1.5 }], [{ factor: 0.5 }], [{ jitter: 2 }], [{ initialMs: -1 }]])(
    "rejects %j",
    (overrides) => {
      expect(() => retryPolicy(overrides)).toThrow(RangeError);
    },
  );
});
