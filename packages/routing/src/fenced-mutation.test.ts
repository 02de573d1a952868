import { createPool, newId } from "@hydra/db";
import { DomainSticky } from "@hydra/proto/hydra/v1";
import { RoutingCore } from "./core";
import { REDIS_URL, useCoreHarness } from "./core-harness";
import type { RoutingError } from "./errors";
import { ProjectLock } from "./lock";
import { createDeploymentFixture, gatewayConfigFor } from "./testing";

const h = useCoreHarness("routing_fenced");

describe("fencing", () => {
  it("a holder whose lease lapsed while paused cannot commit; the newer holder's write stands", async () => {
    const shortLock = new ProjectLock({
      redisUrls: [REDIS_URL],
      keyPrefix: `${h.database.name}:`,
      ttlMs: 300,
      extendBeforeMs: 100,
    });
    let release!: () => void;
    let paused!: () => void;
    const pausedAt = new Promise<void>((resolve) => (paused = resolve));
    const resume = new Promise<void>((resolve) => (release = resolve));
    // The paused holder also stops extending its lease, as a stopped process would.
    const stale = new RoutingCore({
      pool: h.pool,
      lock: shortLock,
      defaultDomain: "hydra.test",
      afterLockHook: async () => {
        paused();
        await resume;
      },
    });
    jest.spyOn(shortLock as unknown as { keepExtended: () => unknown }, "keepExtended").mockImplementation(() => ({
      stop: async () => ({ expiration: 0 }),
    }));
    const old = await createDeploymentFixture(h.pool, h.project);
    const fresh = await createDeploymentFixture(h.pool, h.project);
    const staleCall = stale.assignDomains(
      h.assignRequest({
        deploymentId: old.id,
        idempotencyKey: newId("routingOperation"),
        gatewayConfig: gatewayConfigFor(old.id),
        setLive: true,
        domains: [{ name: h.apex("fenced"), sticky: DomainSticky.ENVIRONMENT }],
      }),
    );
    const staleOutcome = staleCall.then(
      () => "committed",
      (error: RoutingError) => error.code,
    );
    await pausedAt;
    // The lease lapses (300 ms); the next holder gets the lock and commits.
    const fresher = await h.assign({
      deploymentId: fresh.id,
      setLive: true,
      domains: [{ name: h.apex("fenced"), sticky: DomainSticky.ENVIRONMENT }],
    });
    expect(fresher.routingGeneration).toBe(1n);
    release();
    expect(await staleOutcome).toBe("aborted");
    expect(await h.pointer(h.apex("fenced"))).toBe(fresh.id);
    expect((await h.live()).live_deployment_id).toBe(fresh.id);
    await h.expectInvariants();
    await shortLock.close();
  });
});

describe("Postgres unreachable", () => {
  it("answers unavailable and releases the project lock", async () => {
    const deadPool = createPool("postgresql://postgres@127.0.0.1:1/nowhere", { max: 1 });
    const deadCore = new RoutingCore({ pool: deadPool, lock: h.lock, defaultDomain: "hydra.test" });
    const dep = await createDeploymentFixture(h.pool, h.project);
    const request = h.assignRequest({
      deploymentId: dep.id,
      idempotencyKey: newId("routingOperation"),
      domains: [{ name: h.apex("pgdown"), sticky: DomainSticky.BRANCH }],
    });
    await expect(deadCore.assignDomains(request)).rejects.toMatchObject({ code: "unavailable" });
    // Without the replay fast path's key, the lock is taken first: it must have been released.
    request.idempotencyKey = "";
    await expect(deadCore.assignDomains(request)).rejects.toMatchObject({ code: "unavailable" });
    await expect(h.assign({ deploymentId: dep.id, domains: [] })).resolves.toMatchObject({ routingGeneration: 1n });
    await deadPool.end();
  });
});
