import { backoffDelayMs, type Backoff } from "./backoff";

const doubling: Backoff = { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0 };

describe("backoffDelayMs", () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1_000], // capped at maxMs
    [40, 1_000],
    [0, 100], // before the first retry counts as the first
  ])("retry %i waits %i ms without jitter", (retry, expected) => {
    expect(backoffDelayMs(doubling, retry, 0.5)).toBe(expected);
  });

  it.each([
    [0, 80],
    [0.5, 100],
    [0.999999, 120],
  ])("with ±20%% jitter and random %f waits %i ms", (random, expected) => {
    expect(backoffDelayMs({ ...doubling, jitter: 0.2 }, 1, random)).toBe(expected);
  });

  it.each([
    ["full jitter at the floor", { initialMs: 100, maxMs: 2_000, factor: 2, jitter: 1 }, 1, 0, 0],
    ["a constant pause (factor 1)", { initialMs: 150, maxMs: 250, factor: 1, jitter: 2 / 3 }, 7, 0, 50],
    ["a constant pause at its top", { initialMs: 150, maxMs: 250, factor: 1, jitter: 2 / 3 }, 7, 0.999999, 250],
  ])("%s", (_what, backoff, retry, random, expected) => {
    expect(backoffDelayMs(backoff, retry, random)).toBe(expected);
  });

  it("stays within [base·(1−jitter), min(maxMs, base·(1+jitter))] for any retry and random", () => {
    for (let i = 0; i < 2_000; i++) {
      const backoff: Backoff = {
        initialMs: Math.floor(Math.random() * 1_000),
        maxMs: Math.floor(Math.random() * 10_000),
        factor: 1 + Math.random() * 3,
        jitter: Math.random(),
      };
      const retry = 1 + Math.floor(Math.random() * 60);
      const delay = backoffDelayMs(backoff, retry, Math.random());
      const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** (retry - 1));
      expect(Number.isInteger(delay)).toBe(true);
      expect(delay).toBeGreaterThanOrEqual(Math.max(0, Math.floor(base * (1 - backoff.jitter))));
      expect(delay).toBeLessThanOrEqual(Math.min(backoff.maxMs, Math.ceil(base * (1 + backoff.jitter))));
    }
  });

  it("grows with the retry number when there is no jitter", () => {
    let previous = 0;
    for (let retry = 1; retry < 30; retry++) {
      const delay = backoffDelayMs({ initialMs: 10, maxMs: 60_000, factor: 1.7, jitter: 0 }, retry);
      expect(delay).toBeGreaterThanOrEqual(previous);
      previous = delay;
    }
  });
});
