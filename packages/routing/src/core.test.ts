import { clone, create } from "@bufbuild/protobuf";
import { createPool, newId, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import {
  type AssignDomainsRequest,
  AssignDomainsRequestSchema,
  DomainSticky,
  type DomainToAssignSchema,
  type GatewayConfigSchema,
  SwitchDomainsRequestSchema,
} from "@hydra/proto/hydra/v1";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { RoutingCore } from "./core";
import { RoutingError } from "./errors";
import { ProjectLock } from "./lock";
import {
  createDeploymentFixture,
  createProjectFixture,
  gatewayConfigFor,
  type ProjectFixture,
  routingInvariantViolations,
  snapshotRoutingTables,
} from "./testing";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
let database: TestDatabase;
let pool: Pool;
let lock: ProjectLock;
let core: RoutingCore;
let project: ProjectFixture;

beforeAll(async () => {
  database = await createTestDatabase("routing_core");
  pool = createPool(database.url, { max: 10 });
  lock = new ProjectLock({ redisUrls: [REDIS_URL], keyPrefix: `${database.name}:` });
  core = new RoutingCore({ pool, lock, defaultDomain: "hydra.test" });
});
afterAll(async () => {
  await lock.close();
  await pool.end();
  await database.drop();
});
beforeEach(async () => {
  project = await createProjectFixture(pool);
});

type AssignInit = Partial<Omit<AssignDomainsRequest, "$typeName" | "$unknown" | "domains" | "gatewayConfig">> & {
  deploymentId: string;
  domains?: MessageInitShape<typeof DomainToAssignSchema>[];
  gatewayConfig?: MessageInitShape<typeof GatewayConfigSchema>;
};
function assign(init: AssignInit) {
  return core.assignDomains(
    create(AssignDomainsRequestSchema, {
      workspaceId: project.workspaceId,
      projectId: project.projectId,
      environmentId: project.productionId,
      idempotencyKey: newId("routingOperation"),
      gatewayConfig: gatewayConfigFor(init.deploymentId),
      ...init,
    }),
  );
}
function switchTo(init: MessageInitShape<typeof SwitchDomainsRequestSchema>) {
  return core.switchDomains(create(SwitchDomainsRequestSchema, { idempotencyKey: newId("routingOperation"), ...init }));
}
async function domainIds(names: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>("SELECT id FROM domains WHERE name = ANY($1) ORDER BY name", [names]);
  return rows.map((r) => r.id);
}
async function pointer(name: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ deployment_id: string }>("SELECT deployment_id FROM domains WHERE name = $1", [name]);
  return rows[0]?.deployment_id;
}
async function live(): Promise<{ live_deployment_id: string | null; is_rolled_back: boolean }> {
  const { rows } = await pool.query("SELECT live_deployment_id, is_rolled_back FROM projects WHERE id = $1", [project.projectId]);
  return rows[0];
}
async function expectInvariants(): Promise<void> {
  expect(await routingInvariantViolations(pool, project.projectId, (h) => core.isLocal(h))).toEqual([]);
}
const apex = (label: string) => `${label}-${project.projectId.slice(-8)}.hydra.test`;

describe("AssignDomains", () => {
  it("inserts domains, stores gateway configs with each row's own values, moves the live pointer", async () => {
    const dep = await createDeploymentFixture(pool, project);
    const names = [apex("commit"), apex("branch"), apex("env"), apex("live")];
    const response = await assign({
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
    expect((await live()).live_deployment_id).toBe(dep.id);
    const gw = await pool.query("SELECT hostname, deployment_id, config FROM gateway_configs WHERE project_id = $1 ORDER BY hostname", [project.projectId]);
    expect(gw.rows.map((r) => r.hostname)).toEqual([...names].sort());
    for (const row of gw.rows) expect(row.config.deploymentId).toBe(dep.id);
    const stored = await pool.query("SELECT gateway_config FROM deployments WHERE id = $1", [dep.id]);
    expect(stored.rows[0].gateway_config.sentinels).toHaveLength(1);
    await expectInvariants();
  });

  it("bulk upsert gives every hostname its own row values when reassigning across environments", async () => {
    const a = await createDeploymentFixture(pool, project);
    const b = await createDeploymentFixture(pool, project, { environmentId: project.previewId });
    await assign({ deploymentId: a.id, domains: [{ name: apex("x"), sticky: DomainSticky.ENVIRONMENT }] });
    await assign({
      deploymentId: b.id,
      environmentId: project.previewId,
      domains: [
        { name: apex("x"), sticky: DomainSticky.ENVIRONMENT },
        { name: apex("y"), sticky: DomainSticky.ENVIRONMENT },
      ],
    });
    const gw = await pool.query("SELECT hostname, deployment_id FROM gateway_configs WHERE project_id = $1", [project.projectId]);
    expect(gw.rows.every((r) => r.deployment_id === b.id)).toBe(true);
    expect(new Set(gw.rows.map((r) => r.hostname))).toEqual(new Set([apex("x"), apex("y")]));
    await expectInvariants();
  });

  it("newest wins: an older deployment finishing last does not take sticky domains or the live pointer back", async () => {
    const older = await createDeploymentFixture(pool, project);
    const newer = await createDeploymentFixture(pool, project);
    const domains = [
      { name: apex("env"), sticky: DomainSticky.ENVIRONMENT },
      { name: apex("branch"), sticky: DomainSticky.BRANCH },
      { name: apex("live"), sticky: DomainSticky.LIVE },
    ];
    await assign({ deploymentId: newer.id, setLive: true, domains });
    const response = await assign({ deploymentId: older.id, setLive: true, domains });
    expect(response.changedDomainNames).toEqual([]);
    for (const d of domains) expect(await pointer(d.name)).toBe(newer.id);
    expect((await live()).live_deployment_id).toBe(newer.id);
    await expectInvariants();
  });

  it("per-commit domains never move once assigned", async () => {
    const a = await createDeploymentFixture(pool, project);
    const b = await createDeploymentFixture(pool, project);
    await assign({ deploymentId: a.id, domains: [{ name: apex("sha"), sticky: DomainSticky.UNSPECIFIED }] });
    const response = await assign({ deploymentId: b.id, domains: [{ name: apex("sha"), sticky: DomainSticky.UNSPECIFIED }] });
    expect(response.changedDomainNames).toEqual([]);
    expect(await pointer(apex("sha"))).toBe(a.id);
  });

  it("skips LIVE domains while rolled back (stored flag or request flag), other domains still follow", async () => {
    const a = await createDeploymentFixture(pool, project);
    const b = await createDeploymentFixture(pool, project);
    const domains = [
      { name: apex("env"), sticky: DomainSticky.ENVIRONMENT },
      { name: apex("live"), sticky: DomainSticky.LIVE },
    ];
    await assign({ deploymentId: a.id, setLive: true, domains });
    const viaRequest = await assign({ deploymentId: b.id, setLive: true, isRolledBack: true, domains });
    expect(viaRequest.changedDomainNames).toEqual([apex("env")]);
    expect(await pointer(apex("live"))).toBe(a.id);
    expect((await live()).live_deployment_id).toBe(a.id);

    await pool.query("UPDATE projects SET is_rolled_back = true WHERE id = $1", [project.projectId]);
    const c = await createDeploymentFixture(pool, project);
    const viaStored = await assign({ deploymentId: c.id, setLive: true, domains });
    expect(viaStored.changedDomainNames).toEqual([apex("env")]);
    expect(await pointer(apex("live"))).toBe(a.id);
    await expectInvariants();
  });

  it("local hostnames get domains but no gateway config; names under the default domain are never local", async () => {
    const dep = await createDeploymentFixture(pool, project);
    const local = [`app-${project.projectId.slice(-6)}.localhost`, `x-${project.projectId.slice(-6)}.local`, `y-${project.projectId.slice(-6)}.test`];
    const response = await assign({
      deploymentId: dep.id,
      domains: [...local, apex("served")].map((name) => ({ name, sticky: DomainSticky.BRANCH })),
    });
    expect(response.changedDomainNames).toHaveLength(4);
    const gw = await pool.query("SELECT hostname FROM gateway_configs WHERE project_id = $1", [project.projectId]);
    expect(gw.rows.map((r) => r.hostname)).toEqual([apex("served")]);
    await expectInvariants();
  });

  it("uses the deployment's stored config when the request has none; refuses without any", async () => {
    const withConfig = await createDeploymentFixture(pool, project, { gatewayConfig: { deploymentId: "set-below" } });
    await pool.query("UPDATE deployments SET gateway_config = $2 WHERE id = $1", [withConfig.id, { deploymentId: withConfig.id }]);
    await assign({ deploymentId: withConfig.id, gatewayConfig: undefined, domains: [{ name: apex("a"), sticky: DomainSticky.BRANCH }] });
    const without = await createDeploymentFixture(pool, project);
    const before = await snapshotRoutingTables(pool);
    await expect(
      assign({ deploymentId: without.id, gatewayConfig: undefined, domains: [{ name: apex("b"), sticky: DomainSticky.BRANCH }] }),
    ).rejects.toMatchObject({ code: "failed_precondition" });
    expect(await snapshotRoutingTables(pool)).toEqual(before);
  });
});

describe("SwitchDomains", () => {
  it("copies the target's own config, moves pointers and the live pointer with the rolled-back flag", async () => {
    const a = await createDeploymentFixture(pool, project);
    const b = await createDeploymentFixture(pool, project);
    const domains = [
      { name: apex("env"), sticky: DomainSticky.ENVIRONMENT },
      { name: apex("live"), sticky: DomainSticky.LIVE },
    ];
    await assign({ deploymentId: a.id, setLive: true, domains, gatewayConfig: gatewayConfigFor(a.id, 2) });
    await assign({ deploymentId: b.id, setLive: true, domains, gatewayConfig: gatewayConfigFor(b.id, 3) });
    const ids = await domainIds(domains.map((d) => d.name));

    const rollback = await switchTo({ targetDeploymentId: a.id, domainIds: ids, setLive: true, rolledBack: true, expectedLiveDeploymentId: b.id });
    expect(rollback.switchedDomainNames.sort()).toEqual(domains.map((d) => d.name).sort());
    expect(rollback.previousLiveDeploymentId).toBe(b.id);
    expect(rollback.routingGeneration).toBe(3n);
    expect(await live()).toEqual({ live_deployment_id: a.id, is_rolled_back: true });
    const gw = await pool.query("SELECT config FROM gateway_configs WHERE hostname = $1", [apex("env")]);
    expect(gw.rows[0].config.sentinels).toHaveLength(2);
    await expectInvariants();

    const promote = await switchTo({ targetDeploymentId: b.id, domainIds: ids, setLive: true, rolledBack: false, expectedLiveDeploymentId: a.id });
    expect(promote.previousLiveDeploymentId).toBe(a.id);
    expect(await live()).toEqual({ live_deployment_id: b.id, is_rolled_back: false });
    await expectInvariants();
  });

  it("refuses LIVE domains without set_live", async () => {
    const a = await createDeploymentFixture(pool, project);
    const b = await createDeploymentFixture(pool, project);
    await assign({ deploymentId: a.id, setLive: true, domains: [{ name: apex("live"), sticky: DomainSticky.LIVE }] });
    await assign({ deploymentId: b.id, domains: [] });
    const before = await snapshotRoutingTables(pool);
    await expect(switchTo({ targetDeploymentId: b.id, domainIds: await domainIds([apex("live")]) })).rejects.toMatchObject({
      code: "failed_precondition",
    });
    expect(await snapshotRoutingTables(pool)).toEqual(before);
  });
});

describe("idempotency", () => {
  it("the same key twice returns the same response and commits one generation", async () => {
    const dep = await createDeploymentFixture(pool, project);
    const request = create(AssignDomainsRequestSchema, {
      workspaceId: project.workspaceId,
      projectId: project.projectId,
      environmentId: project.productionId,
      deploymentId: dep.id,
      idempotencyKey: `assign-${dep.id}`,
      gatewayConfig: gatewayConfigFor(dep.id),
      domains: [{ name: apex("idem"), sticky: DomainSticky.BRANCH }],
    });
    const first = await core.assignDomains(request);
    const before = await snapshotRoutingTables(pool);
    const [second, third] = await Promise.all([core.assignDomains(request), core.assignDomains(request)]);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(await snapshotRoutingTables(pool)).toEqual(before);

    // The caller's view of the project state is advisory: a retry that reads it differently
    // (a rollback happened in between) still gets the first answer.
    const retryAfterRollback = clone(AssignDomainsRequestSchema, request);
    retryAfterRollback.isRolledBack = true;
    retryAfterRollback.setLive = true;
    expect(await core.assignDomains(retryAfterRollback)).toEqual(first);
    expect(await snapshotRoutingTables(pool)).toEqual(before);

    const different = clone(AssignDomainsRequestSchema, request);
    different.domains[0]!.name = apex("other");
    await expect(core.assignDomains(different)).rejects.toMatchObject({ code: "already_exists" });
    expect(await snapshotRoutingTables(pool)).toEqual(before);
  });
});

describe("rejections change nothing", () => {
  it.each<[string, (dep: string) => Promise<unknown>, RoutingError["code"]]>([
    ["bad hostname", async (dep) => assign({ deploymentId: dep, domains: [{ name: "Bad_Host.example.com" }] }), "invalid_argument"],
    ["upper-case hostname", async (dep) => assign({ deploymentId: dep, domains: [{ name: "App.example.com" }] }), "invalid_argument"],
    ["gateway config of another deployment", async (dep) => assign({ deploymentId: dep, gatewayConfig: gatewayConfigFor(newId("deployment")) }), "invalid_argument"],
    ["malformed deployment id", async () => assign({ deploymentId: "nope", domains: [] }), "invalid_argument"],
    ["unknown deployment", async () => assign({ deploymentId: newId("deployment"), domains: [{ name: apex("u") }] }), "not_found"],
    ["unknown project", async () => assign({ deploymentId: newId("deployment"), projectId: newId("project") }), "not_found"],
    ["unknown switch target", async () => switchTo({ targetDeploymentId: newId("deployment"), domainIds: [] }), "not_found"],
    ["unknown domain id", async (dep) => switchTo({ targetDeploymentId: dep, domainIds: [newId("domain")] }), "not_found"],
    ["malformed domain id", async (dep) => switchTo({ targetDeploymentId: dep, domainIds: ["dom_nope"] }), "invalid_argument"],
  ])("%s", async (_name, call, code) => {
    const dep = await createDeploymentFixture(pool, project, { gatewayConfig: { deploymentId: "x" } });
    const before = await snapshotRoutingTables(pool);
    await expect(call(dep.id)).rejects.toMatchObject({ code });
    expect(await snapshotRoutingTables(pool)).toEqual(before);
  });

  it("a deployment of another project → invalid_argument", async () => {
    const other = await createProjectFixture(pool);
    const theirs = await createDeploymentFixture(pool, other);
    const before = await snapshotRoutingTables(pool);
    await expect(assign({ deploymentId: theirs.id, domains: [{ name: apex("z") }] })).rejects.toMatchObject({ code: "invalid_argument" });
    expect(await snapshotRoutingTables(pool)).toEqual(before);
  });

  it("a domain of another project is refused in AssignDomains and SwitchDomains, never moved", async () => {
    const other = await createProjectFixture(pool);
    const theirs = await createDeploymentFixture(pool, other);
    await core.assignDomains(
      create(AssignDomainsRequestSchema, {
        workspaceId: other.workspaceId,
        projectId: other.projectId,
        environmentId: other.productionId,
        deploymentId: theirs.id,
        idempotencyKey: newId("routingOperation"),
        gatewayConfig: gatewayConfigFor(theirs.id),
        domains: [{ name: apex("theirs"), sticky: DomainSticky.ENVIRONMENT }],
      }),
    );
    const mine = await createDeploymentFixture(pool, project, { gatewayConfig: gatewayConfigFor("x") });
    const before = await snapshotRoutingTables(pool);
    await expect(
      assign({ deploymentId: mine.id, domains: [{ name: apex("mine"), sticky: DomainSticky.ENVIRONMENT }, { name: apex("theirs"), sticky: DomainSticky.ENVIRONMENT }] }),
    ).rejects.toMatchObject({ code: "permission_denied" });
    await expect(switchTo({ targetDeploymentId: mine.id, domainIds: await domainIds([apex("theirs")]) })).rejects.toMatchObject({
      code: "permission_denied",
    });
    expect(await snapshotRoutingTables(pool)).toEqual(before);
    expect(await pointer(apex("theirs"))).toBe(theirs.id);
  });

  it("expected_live_deployment_id mismatch → failed_precondition", async () => {
    const a = await createDeploymentFixture(pool, project);
    const b = await createDeploymentFixture(pool, project);
    await assign({ deploymentId: a.id, setLive: true, domains: [{ name: apex("l"), sticky: DomainSticky.LIVE }] });
    await assign({ deploymentId: b.id, domains: [] });
    const before = await snapshotRoutingTables(pool);
    await expect(
      switchTo({ targetDeploymentId: b.id, domainIds: await domainIds([apex("l")]), setLive: true, expectedLiveDeploymentId: b.id }),
    ).rejects.toMatchObject({ code: "failed_precondition" });
    expect(await snapshotRoutingTables(pool)).toEqual(before);
  });
});

describe("fencing", () => {
  it("a holder whose lease lapsed while paused cannot commit; the newer holder's write stands", async () => {
    const shortLock = new ProjectLock({ redisUrls: [REDIS_URL], keyPrefix: `${database.name}:`, ttlMs: 300, extendBeforeMs: 100 });
    let release!: () => void;
    let paused!: () => void;
    const pausedAt = new Promise<void>((resolve) => (paused = resolve));
    const resume = new Promise<void>((resolve) => (release = resolve));
    // The paused holder also stops extending its lease, as a stopped process would.
    const stale = new RoutingCore({
      pool,
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
    const old = await createDeploymentFixture(pool, project);
    const fresh = await createDeploymentFixture(pool, project);
    const staleCall = stale.assignDomains(
      create(AssignDomainsRequestSchema, {
        workspaceId: project.workspaceId,
        projectId: project.projectId,
        environmentId: project.productionId,
        deploymentId: old.id,
        idempotencyKey: newId("routingOperation"),
        gatewayConfig: gatewayConfigFor(old.id),
        setLive: true,
        domains: [{ name: apex("fenced"), sticky: DomainSticky.ENVIRONMENT }],
      }),
    );
    const staleOutcome = staleCall.then(
      () => "committed",
      (error: RoutingError) => error.code,
    );
    await pausedAt;
    // The lease lapses (300 ms); the next holder gets the lock and commits.
    const fresher = await assign({ deploymentId: fresh.id, setLive: true, domains: [{ name: apex("fenced"), sticky: DomainSticky.ENVIRONMENT }] });
    expect(fresher.routingGeneration).toBe(1n);
    release();
    expect(await staleOutcome).toBe("aborted");
    expect(await pointer(apex("fenced"))).toBe(fresh.id);
    expect((await live()).live_deployment_id).toBe(fresh.id);
    await expectInvariants();
    await shortLock.close();
  });
});

describe("Postgres unreachable", () => {
  it("answers unavailable and releases the project lock", async () => {
    const deadPool = createPool("postgresql://postgres@127.0.0.1:1/nowhere", { max: 1 });
    const deadCore = new RoutingCore({ pool: deadPool, lock, defaultDomain: "hydra.test" });
    const dep = await createDeploymentFixture(pool, project);
    const request = create(AssignDomainsRequestSchema, {
      workspaceId: project.workspaceId,
      projectId: project.projectId,
      environmentId: project.productionId,
      deploymentId: dep.id,
      idempotencyKey: newId("routingOperation"),
      domains: [{ name: apex("pgdown"), sticky: DomainSticky.BRANCH }],
    });
    await expect(deadCore.assignDomains(request)).rejects.toMatchObject({ code: "unavailable" });
    // Without the replay fast path's key, the lock is taken first: it must have been released.
    request.idempotencyKey = "";
    await expect(deadCore.assignDomains(request)).rejects.toMatchObject({ code: "unavailable" });
    await expect(assign({ deploymentId: dep.id, domains: [] })).resolves.toMatchObject({ routingGeneration: 1n });
    await deadPool.end();
  });
});
