// Two routing-svc processes, 200 concurrent AssignDomains/SwitchDomains (with set_live) on one
// project from many clients: afterwards SPEC §4 invariants 1–3 hold and the committed
// generations are exactly 1..N.
import { Code, ConnectError } from "@connectrpc/connect";
import { createPool, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { DomainSticky } from "@hydra/proto/hydra/v1";
import { createRoutingClient, type RoutingClient } from "../../packages/routing/src/client";
import { isLocalHostname } from "../../packages/routing/src/hostname";
import {
  createDeploymentFixture,
  createProjectFixture,
  type DeploymentFixture,
  gatewayConfigFor,
  type ProjectFixture,
  routingInvariantViolations,
} from "../../packages/routing/src/testing";
import { type ServiceProcess, startService } from "../support/service-process";

const DEFAULT_DOMAIN = "hydra.test";
const OPERATIONS = 200;
const CLIENTS = 20;

let database: TestDatabase;
let pool: Pool;
let servers: ServiceProcess[] = [];
let clients: RoutingClient[] = [];

beforeAll(async () => {
  database = await createTestDatabase("routing_concurrency");
  pool = createPool(database.url, { max: 4 });
  const env = { DATABASE_URL: database.url, HYDRA_DEFAULT_DOMAIN: DEFAULT_DOMAIN, HYDRA_ROUTING_LOCK_WAIT: "60s" };
  servers = await Promise.all([startService("routing-svc", { env }), startService("routing-svc", { env })]);
  clients = Array.from({ length: CLIENTS }, (_, i) =>
    createRoutingClient({ baseUrl: servers[i % 2]!.url, timeoutMs: 90_000 }),
  );
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all(servers.map((s) => s.stop()));
  await pool?.end();
  await database?.drop();
});

it("keeps the invariants and a gapless generation sequence under 200 concurrent mutations", async () => {
  const project: ProjectFixture = await createProjectFixture(pool);
  const deployments: DeploymentFixture[] = [];
  for (let i = 0; i < 12; i++)
    deployments.push(await createDeploymentFixture(pool, project, { gatewayConfig: undefined }));
  const name = (label: string) => `${label}-${project.projectId.slice(-10)}.${DEFAULT_DOMAIN}`;
  const shared = [
    { name: name("env"), sticky: DomainSticky.ENVIRONMENT },
    { name: name("branch"), sticky: DomainSticky.BRANCH },
    { name: name("live"), sticky: DomainSticky.LIVE },
    { name: `app-${project.projectId.slice(-10)}.localhost`, sticky: DomainSticky.ENVIRONMENT },
  ];
  // Every deployment gets its gateway config and commit domain; the first one also goes live.
  for (const [i, dep] of deployments.entries()) {
    await clients[0]!.assignDomains({
      workspaceId: project.workspaceId,
      projectId: project.projectId,
      environmentId: project.productionId,
      deploymentId: dep.id,
      idempotencyKey: `setup-${dep.id}`,
      gatewayConfig: gatewayConfigFor(dep.id),
      setLive: i === 0,
      domains: [{ name: name(`sha${i}`), sticky: DomainSticky.UNSPECIFIED }, ...(i === 0 ? shared : [])],
    });
  }
  const { rows } = await pool.query<{ id: string }>(
    "SELECT id FROM domains WHERE project_id = $1 AND sticky IN ('environment', 'live', 'branch') ORDER BY name",
    [project.projectId],
  );
  const switchable = rows.map((r) => r.id);
  const setupGenerations = deployments.length;

  // A seeded pseudo-random mix, so a failure reproduces.
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;

  const outcomes = await Promise.all(
    Array.from({ length: OPERATIONS }, async (_, i) => {
      const client = clients[i % CLIENTS]!;
      const target = pick(deployments);
      try {
        if (random() < 0.5) {
          const response = await client.assignDomains({
            workspaceId: project.workspaceId,
            projectId: project.projectId,
            environmentId: project.productionId,
            deploymentId: target.id,
            idempotencyKey: `storm-${i}`,
            gatewayConfig: gatewayConfigFor(target.id, 1 + (i % 3)),
            setLive: random() < 0.7,
            isRolledBack: random() < 0.1,
            domains: shared,
          });
          return { ok: true as const, generation: response.routingGeneration };
        }
        const response = await client.switchDomains({
          targetDeploymentId: target.id,
          domainIds: switchable,
          idempotencyKey: `storm-${i}`,
          setLive: true,
          rolledBack: random() < 0.5,
          // Sometimes guard on a guess of the live deployment: some of these must fail.
          expectedLiveDeploymentId: random() < 0.2 ? pick(deployments).id : "",
        });
        return { ok: true as const, generation: response.routingGeneration };
      } catch (error) {
        const connectError = ConnectError.from(error);
        return { ok: false as const, code: connectError.code, message: connectError.message };
      }
    }),
  );

  const failures = outcomes.filter((o) => !o.ok);
  // Only the guarded switches may be refused (their guess of the live deployment was wrong).
  expect(failures.flatMap((f) => (f.ok || f.code === Code.FailedPrecondition ? [] : [f.message]))).toEqual([]);
  const generations = outcomes.flatMap((o) => (o.ok ? [o.generation] : [])).sort((a, b) => (a < b ? -1 : 1));
  const committed = generations.length;
  expect(committed).toBeGreaterThan(OPERATIONS / 2);
  // Each success has its own generation; together with the setup they are exactly 1..N.
  expect(generations).toEqual(Array.from({ length: committed }, (_, i) => BigInt(setupGenerations + i + 1)));
  expect(await routingInvariantViolations(pool, project.projectId, (h) => isLocalHostname(h, DEFAULT_DOMAIN))).toEqual(
    [],
  );
  const stored = await pool.query<{ routing_generation: bigint }>(
    "SELECT routing_generation FROM projects WHERE id = $1",
    [project.projectId],
  );
  expect(stored.rows[0]!.routing_generation).toBe(BigInt(setupGenerations + committed));
  // Both processes served part of the storm.
  for (const server of servers) {
    expect(
      server.lines.filter((l) => l.includes('"msg":"domains assigned"') || l.includes('"msg":"domains switched"'))
        .length,
    ).toBeGreaterThan(0);
  }
}, 120_000);
