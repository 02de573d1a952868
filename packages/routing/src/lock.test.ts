import { randomBytes } from "node:crypto";
import { RoutingError } from "./errors";
import { ProjectLock } from "./lock";
import { startRedisServer } from "./testing";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = () => `test:${randomBytes(4).toString("hex")}:`;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => "ok",
    (error: unknown) => (error instanceof RoutingError ? error.code : `unexpected: ${String(error)}`),
  );
}

describe("ProjectLock", () => {
  it("serializes holders of one project and lets other projects through", async () => {
    const keyPrefix = prefix();
    const a = new ProjectLock({ redisUrls: [REDIS_URL], keyPrefix });
    const b = new ProjectLock({ redisUrls: [REDIS_URL], keyPrefix });
    try {
      const order: string[] = [];
      let inside = 0;
      let maxInside = 0;
      const work = (lock: ProjectLock, name: string) =>
        lock.withLock("prj_one", async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((resolve) => setTimeout(resolve, 10));
          order.push(name);
          inside--;
        });
      await Promise.all([work(a, "a1"), work(b, "b1"), work(a, "a2"), work(b, "b2"), work(a, "a3")]);
      expect(order).toHaveLength(5);
      expect(maxInside).toBe(1);
      // Another project is not blocked by a held one.
      await a.withLock("prj_one", () => b.withLock("prj_two", async () => undefined));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("gives up with aborted after the bounded wait, and extends a lease held past its TTL", async () => {
    const keyPrefix = prefix();
    const holder = new ProjectLock({ redisUrls: [REDIS_URL], keyPrefix, ttlMs: 300, extendBeforeMs: 100 });
    const waiter = new ProjectLock({ redisUrls: [REDIS_URL], keyPrefix, waitMs: 200 });
    try {
      await holder.withLock("prj_x", async (hold) => {
        // Held for 3 TTLs: only extension keeps others out.
        await new Promise((resolve) => setTimeout(resolve, 900));
        expect(await codeOf(waiter.withLock("prj_x", async () => undefined))).toBe("aborted");
        expect(hold.signal.aborted).toBe(false);
      });
      expect(await codeOf(waiter.withLock("prj_x", async () => undefined))).toBe("ok");
    } finally {
      await holder.close();
      await waiter.close();
    }
  });

  it("releases in finally when the holder throws", async () => {
    const keyPrefix = prefix();
    const lock = new ProjectLock({ redisUrls: [REDIS_URL], keyPrefix, waitMs: 200 });
    try {
      await expect(lock.withLock("prj_y", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
      expect(await codeOf(lock.withLock("prj_y", async () => undefined))).toBe("ok");
    } finally {
      await lock.close();
    }
  });

  it("answers unavailable with the reason while Redis is down, and works again once it is back", async () => {
    const redis = await startRedisServer();
    const lock = new ProjectLock({ redisUrls: [redis.url], keyPrefix: prefix(), commandTimeoutMs: 300 });
    try {
      expect(await codeOf(lock.withLock("prj_z", async () => undefined))).toBe("ok");
      await redis.kill();
      const error = await lock.withLock("prj_z", async () => "ran").catch((e: RoutingError) => e);
      expect(error).toBeInstanceOf(RoutingError);
      expect((error as RoutingError).code).toBe("unavailable");
      expect((error as RoutingError).message).toMatch(/Redis/);
      const again = await startRedisServer(redis.port);
      try {
        const deadline = Date.now() + 10_000;
        let outcome = "";
        while (
          Date.now() < deadline &&
          (outcome = await codeOf(lock.withLock("prj_z", async () => undefined))) !== "ok"
        ) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(outcome).toBe("ok");
      } finally {
        await again.kill();
      }
    } finally {
      await lock.close();
      await redis.kill();
    }
  });

  it("needs a majority: one of three servers down still locks, two down is unavailable", async () => {
    const servers = await Promise.all([startRedisServer(), startRedisServer(), startRedisServer()]);
    const lock = new ProjectLock({ redisUrls: servers.map((s) => s.url), keyPrefix: prefix(), commandTimeoutMs: 300 });
    try {
      await servers[0]!.kill();
      expect(await codeOf(lock.withLock("prj_q", async () => undefined))).toBe("ok");
      await servers[1]!.kill();
      expect(await codeOf(lock.withLock("prj_q", async () => undefined))).toBe("unavailable");
    } finally {
      await lock.close();
      await Promise.all(servers.map((s) => s.kill()));
    }
  });

  it("takes the lease from a holder stuck past maxHoldMs, and tells it", async () => {
    const keyPrefix = prefix();
    const stuck = new ProjectLock({ redisUrls: [REDIS_URL], keyPrefix, ttlMs: 300, maxHoldMs: 600 });
    const other = new ProjectLock({ redisUrls: [REDIS_URL], keyPrefix, waitMs: 10_000 });
    let unstick!: () => void;
    const stuckUntil = new Promise<void>((resolve) => (unstick = resolve));
    try {
      let reason: unknown;
      let acquired!: () => void;
      const holding = new Promise<void>((resolve) => (acquired = resolve));
      const holder = stuck.withLock("prj_stuck", async (hold) => {
        hold.signal.addEventListener("abort", () => (reason = hold.signal.reason));
        acquired();
        await stuckUntil; // a query that never answers
      });
      // The other caller comes only once the stuck one holds the lock (else it could simply win the race).
      await holding;
      // Before the cap this would wait for as long as the holder is stuck (renewed forever).
      await other.withLock("prj_stuck", async () => undefined);
      expect(reason).toBeInstanceOf(RoutingError);
      expect(reason).toMatchObject({ code: "aborted" });
      unstick();
      await holder;
    } finally {
      unstick();
      await stuck.close();
      await other.close();
    }
  });
});
