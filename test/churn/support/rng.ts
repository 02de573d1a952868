import { randomInt } from "node:crypto";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

/**
 * A seeded random source (pure-rand's xoroshiro128+), so a churn run's choices — which
 * process dies, which operation runs on what — replay from its seed. `fork` gives an
 * independent stream (a jump of 2^64), so one actor's choices do not depend on how many
 * another made (which varies with timing).
 */
export class Rng {
  private constructor(private readonly generator: ReturnType<typeof xoroshiro128plus>) {}

  static seeded(seed: number): Rng {
    return new Rng(xoroshiro128plus(seed));
  }

  /** `HYDRA_CHURN_SEED` when set (an integer), else a fresh one. */
  static seedFromEnv(env: NodeJS.ProcessEnv = process.env): number {
    const raw = env.HYDRA_CHURN_SEED;
    if (raw === undefined || raw === "") return randomInt(2 ** 31);
    if (!/^\d+$/.test(raw)) throw new Error(`HYDRA_CHURN_SEED must be a non-negative integer, not "${raw}"`);
    return Number(raw);
  }

  fork(): Rng {
    const copy = this.generator.clone();
    this.generator.jump();
    return new Rng(copy);
  }

  /** An integer in [from, to]. */
  int(from: number, to: number): number {
    return uniformInt(this.generator, from, to);
  }

  /** True with probability `p` (in 1/1000 steps). */
  chance(p: number): boolean {
    return this.int(0, 999) < Math.round(p * 1000);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(0, items.length - 1)]!;
  }

  /** `count` distinct items, in the order drawn. */
  sample<T>(items: readonly T[], count: number): T[] {
    const left = [...items];
    const drawn: T[] = [];
    while (drawn.length < count && left.length > 0) drawn.push(left.splice(this.int(0, left.length - 1), 1)[0]!);
    return drawn;
  }

  /** A key of `weights`, with probability proportional to its weight. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    let roll = this.int(
      1,
      entries.reduce((sum, [, w]) => sum + w, 0),
    );
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll <= 0) return key;
    }
    return entries[entries.length - 1]![0];
  }
}
