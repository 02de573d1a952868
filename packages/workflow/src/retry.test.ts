import { backoffMs, DEFAULT_RETRY, retryPolicy, type RetryPolicy } from "./retry";

const noJitter: RetryPolicy = { maxAttempts: 5, initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0 };

describe("backoffMs", () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1_000], // capped at maxMs
    [9, 1_000],
  ])("after failed attempt %i waits %i ms without jitter", (attempt, expected) => {
    expect(backoffMs(noJitter, attempt, 0.5)).toBe(expected);
  });

  it.each([
    [0, 80],
    [0.5, 100],
    [0.999999, 120],
  ])("with 20%% jitter and random %f waits %i ms", (random, expected) => {
    expect(backoffMs({ ...noJitter, jitter: 0.2 }, 1, random)).toBe(expected);
  });

  it("never exceeds maxMs even with jitter", () => {
    expect(backoffMs({ ...noJitter, jitter: 0.5 }, 10, 0.99)).toBe(1_000);
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
