import { DomainSticky } from "@hydra/proto/hydra/v1";
import { useCoreHarness } from "./core-harness";
import { createDeploymentFixture, snapshotRoutingTables } from "./testing";

const h = useCoreHarness("routing_assign");

describe("AssignDomains", () => {
  it("inserts domains, stores gateway configs with each row's own values, moves the live pointer", async () => {
    const dep = await createDeploymentFixture(h.pool, h.project);
    const names = [h.apex("commit"), h.apex("branch"), h.apex("env"), h.apex("live")];
    const response = await h.assign({
      deploymentId: dep.id,
      setLive: true,
      domains: [
        { name: names[0]!, sticky: DomainSticky.UNSPECIFIED },
        { name: names[1]!, sticky: DomainSticky.BRANCH },
        { name: names[2]!, sticky: DomainSticky.ENVIRONMENT },
        { name: names[3]!, sticky: DomainSticky.LIVE },
      ],
    });
    expect(response.changedDomainNames).toEqual(names);
    expect(response.routingGeneration).toBe(1n);
    expect(response.previousLiveDeploymentId).toBe("");
    expect((await h.live()).live_deployment_id).toBe(dep.id);
    const gw = await h.pool.query(
      "SELECT hostname, deployment_id, config FROM gateway_configs WHERE project_id = $1 ORDER BY hostname",
      [h.project.projectId],
    );
    expect(gw.rows.map((r) => r.hostname)).toEqual([...names].sort());
    for (const row of gw.rows) expect(row.config.deploymentId).toBe(dep.id);
    const stored = await h.pool.query("SELECT gateway_config FROM deployments WHERE id = $1", [dep.id]);
    expect(stored.rows[0].gateway_config.sentinels).toHaveLength(1);
    await h.expectInvariants();
  });

  it("bulk upsert gives every hostname its own row values when reassigning across environments", async () => {
    const a = await createDeploymentFixture(h.pool, h.project);
    const b = await createDeploymentFixture(h.pool, h.project, { environmentId: h.project.previewId });
    await h.assign({ deploymentId: a.id, domains: [{ name: h.apex("x"), sticky: DomainSticky.ENVIRONMENT }] });
    await h.assign({
      deploymentId: b.id,
      environmentId: h.project.previewId,
      domains: [
        { name: h.apex("x"), sticky: DomainSticky.ENVIRONMENT },
        { name: h.apex("y"), sticky: DomainSticky.ENVIRONMENT },
      ],
    });
    const gw = await h.pool.query("SELECT hostname, deployment_id FROM gateway_configs WHERE project_id = $1", [
      h.project.projectId,
    ]);
    expect(gw.rows.every((r) => r.deployment_id === b.id)).toBe(true);
    expect(new Set(gw.rows.map((r) => r.hostname))).toEqual(new Set([h.apex("x"), h.apex("y")]));
    await h.expectInvariants();
  });

  it("newest wins: an older deployment finishing last does not take sticky domains or the live pointer back", async () => {
    const older = await createDeploymentFixture(h.pool, h.project);
    const newer = await createDeploymentFixture(h.pool, h.project);
    const domains = [
      { name: h.apex("env"), sticky: DomainSticky.ENVIRONMENT },
      { name: h.apex("branch"), sticky: DomainSticky.BRANCH },
      { name: h.apex("live"), sticky: DomainSticky.LIVE },
    ];
    await h.assign({ deploymentId: newer.id, setLive: true, domains });
    const response = await h.assign({ deploymentId: older.id, setLive: true, domains });
    expect(response.changedDomainNames).toEqual([]);
    for (const d of domains) expect(await h.pointer(d.name)).toBe(newer.id);
    expect((await h.live()).live_deployment_id).toBe(newer.id);
    await h.expectInvariants();
  });

  it("per-commit domains never move once assigned", async () => {
    const a = await createDeploymentFixture(h.pool, h.project);
    const b = await createDeploymentFixture(h.pool, h.project);
    await h.assign({ deploymentId: a.id, domains: [{ name: h.apex("sha"), sticky: DomainSticky.UNSPECIFIED }] });
    const response = await h.assign({
      deploymentId: b.id,
      domains: [{ name: h.apex("sha"), sticky: DomainSticky.UNSPECIFIED }],
    });
    expect(response.changedDomainNames).toEqual([]);
    expect(await h.pointer(h.apex("sha"))).toBe(a.id);
  });

  it("skips LIVE domains while rolled back (stored flag or request flag), other domains still follow", async () => {
    const a = await createDeploymentFixture(h.pool, h.project);
    const b = await createDeploymentFixture(h.pool, h.project);
    const domains = [
      { name: h.apex("env"), sticky: DomainSticky.ENVIRONMENT },
      { name: h.apex("live"), sticky: DomainSticky.LIVE },
    ];
    await h.assign({ deploymentId: a.id, setLive: true, domains });
    const viaRequest = await h.assign({ deploymentId: b.id, setLive: true, isRolledBack: true, domains });
    expect(viaRequest.changedDomainNames).toEqual([h.apex("env")]);
    expect(await h.pointer(h.apex("live"))).toBe(a.id);
    expect((await h.live()).live_deployment_id).toBe(a.id);

    await h.pool.query("UPDATE projects SET is_rolled_back = true WHERE id = $1", [h.project.projectId]);
    const c = await createDeploymentFixture(h.pool, h.project);
    const viaStored = await h.assign({ deploymentId: c.id, setLive: true, domains });
    expect(viaStored.changedDomainNames).toEqual([h.apex("env")]);
    expect(await h.pointer(h.apex("live"))).toBe(a.id);
    await h.expectInvariants();
  });

  it("local hostnames get domains but no gateway config; names under the default domain are never local", async () => {
    const dep = await createDeploymentFixture(h.pool, h.project);
    const local = [
      `app-${h.project.projectId.slice(-6)}.localhost`,
      `x-${h.project.projectId.slice(-6)}.local`,
      `y-${h.project.projectId.slice(-6)}.test`,
    ];
    const response = await h.assign({
      deploymentId: dep.id,
      domains: [...local, h.apex("served")].map((name) => ({ name, sticky: DomainSticky.BRANCH })),
    });
    expect(response.changedDomainNames).toHaveLength(4);
    const gw = await h.pool.query("SELECT hostname FROM gateway_configs WHERE project_id = $1", [h.project.projectId]);
    expect(gw.rows.map((r) => r.hostname)).toEqual([h.apex("served")]);
    await h.expectInvariants();
  });

  it("uses the deployment's stored config when the request has none; refuses without any", async () => {
    const withConfig = await createDeploymentFixture(h.pool, h.project, {
      gatewayConfig: { deploymentId: "set-below" },
    });
    await h.pool.query("UPDATE deployments SET gateway_config = $2 WHERE id = $1", [
      withConfig.id,
      { deploymentId: withConfig.id },
    ]);
    await h.assign({
      deploymentId: withConfig.id,
      gatewayConfig: undefined,
      domains: [{ name: h.apex("a"), sticky: DomainSticky.BRANCH }],
    });
    const without = await createDeploymentFixture(h.pool, h.project);
    const before = await snapshotRoutingTables(h.pool);
    await expect(
      h.assign({
        deploymentId: without.id,
        gatewayConfig: undefined,
        domains: [{ name: h.apex("b"), sticky: DomainSticky.BRANCH }],
      }),
    ).rejects.toMatchObject({ code: "failed_precondition" });
    expect(await snapshotRoutingTables(h.pool)).toEqual(before);
  });
});
