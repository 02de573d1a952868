import { create } from "@bufbuild/protobuf";
import { createPool, newId, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { AssignDomainsRequestSchema } from "@hydra/proto/hydra/v1";
import { ProjectLock, RoutingCore, RoutingError } from "@hydra/routing";
import {
  createDeploymentFixture,
  gatewayConfigFor,
  type ProjectFixture,
  routingInvariantViolations,
} from "@hydra/routing/testing";
import { legacyRoutes } from "./legacy-domain-names";
import { migrateDomainNames } from "./migrate-domain-names";
import { stickyToProto } from "@hydra/routing";
import { buildRoutes, type Route, type RouteInput } from "./routes";

const APEX = "hydra.run";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

let database: TestDatabase;
let pool: Pool;
let lock: ProjectLock;
let core: RoutingCore;

beforeAll(async () => {
  database = await createTestDatabase("migrate_domain_names");
  pool = createPool(database.url, { max: 5 });
  lock = new ProjectLock({ redisUrls: [REDIS_URL], keyPrefix: `${database.name}:` });
  core = new RoutingCore({ pool, lock, defaultDomain: APEX });
});
afterAll(async () => {
  await lock.close();
  await pool.end();
  await database.drop();
});

interface Tenant extends ProjectFixture {
  workspaceSlug: string;
  projectSlug: string;
}

async function tenant(workspaceSlug: string, projectSlug: string): Promise<Tenant> {
  const ids = {
    workspaceId: newId("workspace"),
    projectId: newId("project"),
    productionId: newId("environment"),
    previewId: newId("environment"),
  };
  await pool.query("INSERT INTO workspaces (id, name, slug) VALUES ($1, $2, $2)", [ids.workspaceId, workspaceSlug]);
  await pool.query("INSERT INTO projects (id, workspace_id, name, slug) VALUES ($1, $2, $3, $3)", [
    ids.projectId,
    ids.workspaceId,
    projectSlug,
  ]);
  await pool.query(
    `INSERT INTO environments (id, workspace_id, project_id, slug, production, regions)
     VALUES ($1, $3, $4, 'production', true, '{"local":1}'), ($2, $3, $4, 'preview', false, '{"local":1}')`,
    [ids.productionId, ids.previewId, ids.workspaceId, ids.projectId],
  );
  return { ...ids, workspaceSlug, projectSlug };
}

/** A production deployment of `feature/x` at COMMIT. */
async function deployment(t: Tenant): Promise<string> {
  const { id } = await createDeploymentFixture(pool, t, { branch: "feature/x" });
  await pool.query("UPDATE deployments SET commit_sha = $2 WHERE id = $1", [id, COMMIT]);
  return id;
}

/** What a name is made of, as build-routes reads it. */
function facts(t: Tenant, deploymentId: string): RouteInput {
  return {
    projectSlug: t.projectSlug,
    workspaceSlug: t.workspaceSlug,
    environmentSlug: "production",
    production: true,
    branch: "feature/x",
    commitSha: COMMIT,
    deploymentId,
    apex: APEX,
  };
}

function assign(t: Tenant, deploymentId: string, routes: Route[]) {
  return core.assignDomains(
    create(AssignDomainsRequestSchema, {
      workspaceId: t.workspaceId,
      projectId: t.projectId,
      environmentId: t.productionId,
      deploymentId,
      domains: routes.map((r) => ({ name: r.name, sticky: stickyToProto(r.sticky) })),
      gatewayConfig: gatewayConfigFor(deploymentId),
      idempotencyKey: newId("routingOperation"),
      setLive: true,
    }),
  );
}

async function domainsOf(t: Tenant): Promise<Array<{ name: string; deployment_id: string; hostname: string | null }>> {
  const { rows } = await pool.query(
    `SELECT d.name, d.deployment_id, g.hostname FROM domains d LEFT JOIN gateway_configs g ON g.hostname = d.name
      WHERE d.project_id = $1 ORDER BY d.name`,
    [t.projectId],
  );
  return rows;
}

async function generation(t: Tenant): Promise<bigint> {
  const { rows } = await pool.query<{ routing_generation: bigint }>(
    "SELECT routing_generation FROM projects WHERE id = $1",
    [t.projectId],
  );
  return rows[0]!.routing_generation;
}

const sortedNames = (routes: Route[]) => routes.map((r) => r.name).sort();

it("moves old-scheme names to the new ones, with their gateway configs, without a tenant taking another's", async () => {
  // Old scheme: project "a" of workspace "b-c" and project "a-b" of workspace "c" share a-b-c.hydra.run.
  const first = await tenant("b-c", "a");
  const second = await tenant("c", "a-b");
  const a = await deployment(first);
  const b = await deployment(second);
  const oldA = legacyRoutes(facts(first, a));
  const oldB = legacyRoutes(facts(second, b));
  expect(oldA.find((r) => r.sticky === "live")!.name).toBe("a-b-c.hydra.run");
  expect(oldB.find((r) => r.sticky === "live")!.name).toBe("a-b-c.hydra.run");
  await assign(first, a, oldA);
  await expect(assign(second, b, oldB)).rejects.toMatchObject({ code: "permission_denied" });
  const before = await generation(first);

  const outcome = await migrateDomainNames(pool, APEX);
  expect(outcome.refused).toEqual([]);
  const renamed = buildRoutes(facts(first, a));
  expect((await domainsOf(first)).map((d) => d.name)).toEqual(sortedNames(renamed));
  for (const d of await domainsOf(first)) expect(d).toEqual({ name: d.name, deployment_id: a, hostname: d.name });
  expect(await generation(first)).toBe(before + 1n);
  expect(await routingInvariantViolations(pool, first.projectId, (h) => core.isLocal(h))).toEqual([]);

  // The refused tenant now gets names of its own; neither can take the other's.
  const fresh = buildRoutes(facts(second, b));
  expect(fresh.filter((r) => renamed.some((mine) => mine.name === r.name))).toEqual([]);
  await assign(second, b, fresh);
  expect((await domainsOf(second)).map((d) => d.name)).toEqual(sortedNames(fresh));
  const secondBefore = await generation(second);
  const error: unknown = await assign(second, b, [renamed.find((r) => r.sticky === "live")!]).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RoutingError);
  expect(error).toMatchObject({ code: "permission_denied" });
  expect(await generation(second)).toBe(secondBefore);
  expect((await domainsOf(first)).every((d) => d.deployment_id === a)).toBe(true);

  // Repeatable: a second run (another instance starting) changes nothing.
  const again = await migrateDomainNames(pool, APEX);
  expect(again).toEqual({ renamed: [], dropped: [], refused: [] });
  expect(await generation(first)).toBe(before + 1n);
});

it("drops an old name whose new name the project already routes (a newer deploy took it)", async () => {
  const t = await tenant("q", "web-x");
  const old = await deployment(t);
  await assign(t, old, legacyRoutes(facts(t, old)));
  const newer = await deployment(t);
  const newRoutes = buildRoutes(facts(t, newer));
  await assign(t, newer, newRoutes);

  const outcome = await migrateDomainNames(pool, APEX);
  expect(outcome.dropped).toContain("web-x-q.hydra.run");
  const names = (await domainsOf(t)).map((d) => d.name);
  expect(names).toEqual(sortedNames(newRoutes));
  expect(await routingInvariantViolations(pool, t.projectId, (h) => core.isLocal(h))).toEqual([]);
});
