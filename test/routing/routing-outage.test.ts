// Redis stopped → `unavailable` and the database unchanged; Redis back → routing works again.
import { Code, ConnectError } from "@connectrpc/connect";
import { createPool, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { DomainSticky } from "@hydra/proto/hydra/v1";
import { type AssignDomainsInput, createRoutingClient, type RoutingClient } from "../../packages/routing/src/client";
import {
  createDeploymentFixture,
  createProjectFixture,
  gatewayConfigFor,
  type RedisServerProcess,
  snapshotRoutingTables,
  startRedisServer,
} from "../../packages/routing/src/testing";
import { type ServiceProcess, startService } from "../support/service-process";

let database: TestDatabase;
let pool: Pool;
let redis: RedisServerProcess | undefined;
let server: ServiceProcess;
let once: RoutingClient;
let retrying: RoutingClient;

beforeAll(async () => {
  database = await createTestDatabase("routing_outage");
  pool = createPool(database.url, { max: 2 });
  redis = await startRedisServer();
  server = await startService("routing-svc", {
    env: { DATABASE_URL: database.url, REDIS_URLS: redis.url, HYDRA_DEFAULT_DOMAIN: "hydra.test" },
  });
  once = createRoutingClient({ baseUrl: server.url, maxAttempts: 1, timeoutMs: 10_000 });
  retrying = createRoutingClient({ baseUrl: server.url, maxAttempts: 40, backoffMs: 100, timeoutMs: 10_000 });
}, 60_000);

afterAll(async () => {
  once?.close();
  retrying?.close();
  await server?.stop();
  await redis?.kill();
  await pool?.end();
  await database?.drop();
});

it("answers unavailable while Redis is down, writes nothing, and works once Redis is back", async () => {
  const project = await createProjectFixture(pool);
  const dep = await createDeploymentFixture(pool, project);
  const request = (key: string): AssignDomainsInput => ({
    workspaceId: project.workspaceId,
    projectId: project.projectId,
    environmentId: project.productionId,
    deploymentId: dep.id,
    idempotencyKey: key,
    gatewayConfig: gatewayConfigFor(dep.id),
    setLive: true,
    domains: [{ name: `outage-${project.projectId.slice(-8)}.hydra.test`, sticky: DomainSticky.ENVIRONMENT }],
  });
  expect((await once.assignDomains(request("before"))).routingGeneration).toBe(1n);

  const port = redis!.port;
  await redis!.kill();
  const before = await snapshotRoutingTables(pool);
  const error = await once.assignDomains(request("during")).catch((e: unknown) => ConnectError.from(e));
  expect(error).toBeInstanceOf(ConnectError);
  expect((error as ConnectError).code).toBe(Code.Unavailable);
  expect((error as ConnectError).rawMessage).toMatch(/Redis/);
  expect(await snapshotRoutingTables(pool)).toEqual(before);

  redis = await startRedisServer(port);
  // The client retries `unavailable` with the same key until the server's Redis client reconnected.
  const after = await retrying.assignDomains(request("during"));
  expect(after.routingGeneration).toBe(2n);
  const ops = await pool.query("SELECT routing_generation FROM routing_operations WHERE project_id = $1 ORDER BY 1", [
    project.projectId,
  ]);
  expect(ops.rows.map((r) => r.routing_generation)).toEqual([1n, 2n]);
}, 60_000);
