import { create } from "@bufbuild/protobuf";
import { newId } from "@hydra/db";
import { AssignDomainsRequestSchema, DomainSticky } from "@hydra/proto/hydra/v1";
import { useCoreHarness } from "./core-harness";
import type { RoutingError } from "./errors";
import { createDeploymentFixture, createProjectFixture, gatewayConfigFor, snapshotRoutingTables } from "./testing";

const h = useCoreHarness("routing_core");

describe("rejections change nothing", () => {
  it.each<[string, (dep: string) => Promise<unknown>, RoutingError["code"]]>([
    [
      "bad hostname",
      async (dep) => h.assign({ deploymentId: dep, domains: [{ name: "Bad_Host.example.com" }] }),
      "invalid_argument",
    ],
    [
      "upper-case hostname",
      async (dep) => h.assign({ deploymentId: dep, domains: [{ name: "App.example.com" }] }),
      "invalid_argument",
    ],
    [
      "gateway config of another deployment",
      async (dep) => h.assign({ deploymentId: dep, gatewayConfig: gatewayConfigFor(newId("deployment")) }),
      "invalid_argument",
    ],
    ["malformed deployment id", async () => h.assign({ deploymentId: "nope", domains: [] }), "invalid_argument"],
    [
      "unknown deployment",
      async () => h.assign({ deploymentId: newId("deployment"), domains: [{ name: h.apex("u") }] }),
      "not_found",
    ],
    [
      "unknown project",
      async () => h.assign({ deploymentId: newId("deployment"), projectId: newId("project") }),
      "not_found",
    ],
    [
      "unknown switch target",
      async () => h.switchTo({ targetDeploymentId: newId("deployment"), domainIds: [] }),
      "not_found",
    ],
    [
      "unknown domain id",
      async (dep) => h.switchTo({ targetDeploymentId: dep, domainIds: [newId("domain")] }),
      "not_found",
    ],
    [
      "malformed domain id",
      async (dep) => h.switchTo({ targetDeploymentId: dep, domainIds: ["dom_nope"] }),
      "invalid_argument",
    ],
  ])("%s", async (_name, call, code) => {
    const dep = await createDeploymentFixture(h.pool, h.project, { gatewayConfig: { deploymentId: "x" } });
    const before = await snapshotRoutingTables(h.pool);
    await expect(call(dep.id)).rejects.toMatchObject({ code });
    expect(await snapshotRoutingTables(h.pool)).toEqual(before);
  });

  it("a deployment of another project → invalid_argument", async () => {
    const other = await createProjectFixture(h.pool);
    const theirs = await createDeploymentFixture(h.pool, other);
    const before = await snapshotRoutingTables(h.pool);
    await expect(h.assign({ deploymentId: theirs.id, domains: [{ name: h.apex("z") }] })).rejects.toMatchObject({
      code: "invalid_argument",
    });
    expect(await snapshotRoutingTables(h.pool)).toEqual(before);
  });

  it("a domain of another project is refused in AssignDomains and SwitchDomains, never moved", async () => {
    const other = await createProjectFixture(h.pool);
    const theirs = await createDeploymentFixture(h.pool, other);
    await h.core.assignDomains(
      create(AssignDomainsRequestSchema, {
        workspaceId: other.workspaceId,
        projectId: other.projectId,
        environmentId: other.productionId,
        deploymentId: theirs.id,
        idempotencyKey: newId("routingOperation"),
        gatewayConfig: gatewayConfigFor(theirs.id),
        domains: [{ name: h.apex("theirs"), sticky: DomainSticky.ENVIRONMENT }],
      }),
    );
    const mine = await createDeploymentFixture(h.pool, h.project, { gatewayConfig: gatewayConfigFor("x") });
    const before = await snapshotRoutingTables(h.pool);
    await expect(
      h.assign({
        deploymentId: mine.id,
        domains: [
          { name: h.apex("mine"), sticky: DomainSticky.ENVIRONMENT },
          { name: h.apex("theirs"), sticky: DomainSticky.ENVIRONMENT },
        ],
      }),
    ).rejects.toMatchObject({ code: "permission_denied" });
    await expect(
      h.switchTo({ targetDeploymentId: mine.id, domainIds: await h.domainIds([h.apex("theirs")]) }),
    ).rejects.toMatchObject({
      code: "permission_denied",
    });
    expect(await snapshotRoutingTables(h.pool)).toEqual(before);
    expect(await h.pointer(h.apex("theirs"))).toBe(theirs.id);
  });

  it("expected_live_deployment_id mismatch → failed_precondition", async () => {
    const a = await createDeploymentFixture(h.pool, h.project);
    const b = await createDeploymentFixture(h.pool, h.project);
    await h.assign({ deploymentId: a.id, setLive: true, domains: [{ name: h.apex("l"), sticky: DomainSticky.LIVE }] });
    await h.assign({ deploymentId: b.id, domains: [] });
    const before = await snapshotRoutingTables(h.pool);
    await expect(
      h.switchTo({
        targetDeploymentId: b.id,
        domainIds: await h.domainIds([h.apex("l")]),
        setLive: true,
        expectedLiveDeploymentId: b.id,
      }),
    ).rejects.toMatchObject({ code: "failed_precondition" });
    expect(await snapshotRoutingTables(h.pool)).toEqual(before);
  });
});
