import { DomainSticky } from "@hydra/proto/hydra/v1";
import { useCoreHarness } from "./core-harness";
import { createDeploymentFixture, gatewayConfigFor, snapshotRoutingTables } from "./testing";

const h = useCoreHarness("routing_switch");

describe("SwitchDomains", () => {
  it("copies the target's own config, moves pointers and the live pointer with the rolled-back flag", async () => {
    const a = await createDeploymentFixture(h.pool, h.project);
    const b = await createDeploymentFixture(h.pool, h.project);
    const domains = [
      { name: h.apex("env"), sticky: DomainSticky.ENVIRONMENT },
      { name: h.apex("live"), sticky: DomainSticky.LIVE },
    ];
    await h.assign({ deploymentId: a.id, setLive: true, domains, gatewayConfig: gatewayConfigFor(a.id, 2) });
    await h.assign({ deploymentId: b.id, setLive: true, domains, gatewayConfig: gatewayConfigFor(b.id, 3) });
    const ids = await h.domainIds(domains.map((d) => d.name));

    const rollback = await h.switchTo({
      targetDeploymentId: a.id,
      domainIds: ids,
      setLive: true,
      rolledBack: true,
      expectedLiveDeploymentId: b.id,
    });
    expect(rollback.switchedDomainNames.sort()).toEqual(domains.map((d) => d.name).sort());
    expect(rollback.previousLiveDeploymentId).toBe(b.id);
    expect(rollback.routingGeneration).toBe(3n);
    expect(await h.live()).toEqual({ live_deployment_id: a.id, is_rolled_back: true });
    const gw = await h.pool.query("SELECT config FROM gateway_configs WHERE hostname = $1", [h.apex("env")]);
    expect(gw.rows[0].config.sentinels).toHaveLength(2);
    await h.expectInvariants();

    const promote = await h.switchTo({
      targetDeploymentId: b.id,
      domainIds: ids,
      setLive: true,
      rolledBack: false,
      expectedLiveDeploymentId: a.id,
    });
    expect(promote.previousLiveDeploymentId).toBe(a.id);
    expect(await h.live()).toEqual({ live_deployment_id: b.id, is_rolled_back: false });
    await h.expectInvariants();
  });

  it("refuses LIVE domains without set_live", async () => {
    const a = await createDeploymentFixture(h.pool, h.project);
    const b = await createDeploymentFixture(h.pool, h.project);
    await h.assign({
      deploymentId: a.id,
      setLive: true,
      domains: [{ name: h.apex("live"), sticky: DomainSticky.LIVE }],
    });
    await h.assign({ deploymentId: b.id, domains: [] });
    const before = await snapshotRoutingTables(h.pool);
    await expect(
      h.switchTo({ targetDeploymentId: b.id, domainIds: await h.domainIds([h.apex("live")]) }),
    ).rejects.toMatchObject({
      code: "failed_precondition",
    });
    expect(await snapshotRoutingTables(h.pool)).toEqual(before);
  });
});
