import { clone, create } from "@bufbuild/protobuf";
import { AssignDomainsRequestSchema, DomainSticky } from "@hydra/proto/hydra/v1";
import { useCoreHarness } from "./core-harness";
import { hashRequest } from "./idempotency";
import { createDeploymentFixture, gatewayConfigFor, snapshotRoutingTables } from "./testing";

const h = useCoreHarness("routing_idempotency");

describe("hashRequest", () => {
  const base = create(AssignDomainsRequestSchema, {
    deploymentId: "dep_1",
    idempotencyKey: "k1",
    domains: [{ name: "a.example.com" }],
  });
  const ignoreAdvisory = (copy: typeof base) => {
    copy.isRolledBack = false;
    copy.setLive = false;
  };
  it.each<[string, (r: typeof base) => void, boolean]>([
    ["another idempotency key", (r) => (r.idempotencyKey = "k2"), true],
    ["the advisory rolled-back reading", (r) => (r.isRolledBack = true), true],
    ["the advisory set_live", (r) => (r.setLive = true), true],
    ["another domain", (r) => (r.domains[0]!.name = "b.example.com"), false],
    ["another deployment", (r) => (r.deploymentId = "dep_2"), false],
  ])("%s → same hash: %s", (_name, change, same) => {
    const changed = clone(AssignDomainsRequestSchema, base);
    change(changed);
    const equal =
      hashRequest(AssignDomainsRequestSchema, changed, ignoreAdvisory) ===
      hashRequest(AssignDomainsRequestSchema, base, ignoreAdvisory);
    expect(equal).toBe(same);
  });
});

describe("idempotency", () => {
  it("the same key twice returns the same response and commits one generation", async () => {
    const dep = await createDeploymentFixture(h.pool, h.project);
    const request = h.assignRequest({
      deploymentId: dep.id,
      idempotencyKey: `assign-${dep.id}`,
      gatewayConfig: gatewayConfigFor(dep.id),
      domains: [{ name: h.apex("idem"), sticky: DomainSticky.BRANCH }],
    });
    const first = await h.core.assignDomains(request);
    const before = await snapshotRoutingTables(h.pool);
    const [second, third] = await Promise.all([h.core.assignDomains(request), h.core.assignDomains(request)]);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(await snapshotRoutingTables(h.pool)).toEqual(before);

    // The caller's view of the project state is advisory: a retry that reads it differently
    // (a rollback happened in between) still gets the first answer.
    const retryAfterRollback = clone(AssignDomainsRequestSchema, request);
    retryAfterRollback.isRolledBack = true;
    retryAfterRollback.setLive = true;
    expect(await h.core.assignDomains(retryAfterRollback)).toEqual(first);
    expect(await snapshotRoutingTables(h.pool)).toEqual(before);

    const different = clone(AssignDomainsRequestSchema, request);
    different.domains[0]!.name = h.apex("other");
    await expect(h.core.assignDomains(different)).rejects.toMatchObject({ code: "already_exists" });
    expect(await snapshotRoutingTables(h.pool)).toEqual(before);
  });
});
