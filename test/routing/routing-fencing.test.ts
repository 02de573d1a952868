// A routing-svc process whose lock lease lapsed while it was paused (SIGSTOP) cannot commit:
// its transaction finds a newer generation than the one it read under the lock, and the newer
// holder's write stands. A holder that crashes (SIGKILL) blocks its project only until the
// lease runs out.
import { Code, ConnectError } from "@connectrpc/connect";
import { createPool, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { DomainSticky } from "@hydra/proto/hydra/v1";
import pg from "pg";
import { type AssignDomainsInput, createRoutingClient, type RoutingClient } from "../../packages/routing/src/client";
import { isLocalHostname } from "../../packages/routing/src/hostname";
import {
  createDeploymentFixture,
  createProjectFixture,
  gatewayConfigFor,
  routingInvariantViolations,
} from "../../packages/routing/src/testing";
import { type ServiceProcess, startService } from "../support/service-process";

const LEASE_MS = 500;
let database: TestDatabase;
let pool: Pool;
let paused: ServiceProcess;
let fresh: ServiceProcess;
let pausedClient: RoutingClient;
let freshClient: RoutingClient;

beforeAll(async () => {
  database = await createTestDatabase("routing_fencing");
  pool = createPool(database.url, { max: 2 });
  const env = {
    DATABASE_URL: database.url,
    HYDRA_DEFAULT_DOMAIN: "hydra.test",
    HYDRA_ROUTING_LOCK_TTL: `${LEASE_MS}ms`,
    HYDRA_ROUTING_LOCK_WAIT: "10s",
  };
  [paused, fresh] = await Promise.all([startService("routing-svc", { env }), startService("routing-svc", { env })]);
  pausedClient = createRoutingClient({ baseUrl: paused.url, maxAttempts: 1, timeoutMs: 30_000 });
  freshClient = createRoutingClient({ baseUrl: fresh.url, maxAttempts: 1, timeoutMs: 30_000 });
}, 60_000);

afterAll(async () => {
  paused?.child.kill("SIGCONT");
  pausedClient?.close();
  freshClient?.close();
  await Promise.all([paused?.stop(), fresh?.stop()]);
  await pool?.end();
  await database?.drop();
});

/** Makes the next routing call stop right after it took the project lock (its fencing read waits). */
async function holdAfterLock(): Promise<pg.Client> {
  const blocker = new pg.Client({ connectionString: database.url });
  await blocker.connect();
  await blocker.query("BEGIN");
  await blocker.query("LOCK TABLE projects IN ACCESS EXCLUSIVE MODE");
  return blocker;
}

async function fencingReadWaiting(): Promise<void> {
  await waitUntil("a fencing read to wait on the table lock", async () => {
    const { rows } = await pool.query(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%SELECT routing_generation FROM projects%'",
    );
    return rows[0];
  });
}

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it("the paused holder is fenced off; the newer holder's write stands", async () => {
  const project = await createProjectFixture(pool);
  const older = await createDeploymentFixture(pool, project);
  const newer = await createDeploymentFixture(pool, project);
  const domain = `fenced-${project.projectId.slice(-8)}.hydra.test`;
  const input = (deploymentId: string, key: string): AssignDomainsInput => ({
    workspaceId: project.workspaceId,
    projectId: project.projectId,
    environmentId: project.productionId,
    deploymentId,
    idempotencyKey: key,
    gatewayConfig: gatewayConfigFor(deploymentId),
    setLive: true,
    domains: [{ name: domain, sticky: DomainSticky.ENVIRONMENT }],
  });

  // Hold the paused process right after it took the lock: its fencing read of the project's
  // generation waits behind a table lock this test holds.
  const blocker = await holdAfterLock();
  const staleCall = pausedClient.assignDomains(input(older.id, "stale")).then(
    () => "committed",
    (error: unknown) => Code[ConnectError.from(error).code],
  );
  await fencingReadWaiting();
  paused.child.kill("SIGSTOP");
  // The lease runs out while the holder is stopped (it cannot extend it).
  await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 3));
  await blocker.query("ROLLBACK");
  await blocker.end();

  const newerResponse = await freshClient.assignDomains(input(newer.id, "fresh"));
  expect(newerResponse.routingGeneration).toBe(1n);

  paused.child.kill("SIGCONT");
  expect(await staleCall).toBe("Aborted");

  const { rows } = await pool.query("SELECT deployment_id FROM domains WHERE name = $1", [domain]);
  expect(rows).toEqual([{ deployment_id: newer.id }]);
  const ops = await pool.query(
    "SELECT idempotency_key, routing_generation FROM routing_operations WHERE project_id = $1",
    [project.projectId],
  );
  expect(ops.rows).toEqual([{ idempotency_key: "fresh", routing_generation: 1n }]);
  const live = await pool.query("SELECT live_deployment_id, routing_generation FROM projects WHERE id = $1", [
    project.projectId,
  ]);
  expect(live.rows).toEqual([{ live_deployment_id: newer.id, routing_generation: 1n }]);
  expect(await routingInvariantViolations(pool, project.projectId, (h) => isLocalHostname(h, "hydra.test"))).toEqual(
    [],
  );

  // The stale caller's retry (same key) now commits on top, as a new generation.
  await expect(pausedClient.assignDomains(input(older.id, "stale"))).resolves.toMatchObject({ routingGeneration: 2n });
}, 60_000);

it("a holder killed while holding the lock blocks its project only until the lease runs out", async () => {
  const crashing = await startService("routing-svc", {
    env: { DATABASE_URL: database.url, HYDRA_DEFAULT_DOMAIN: "hydra.test", HYDRA_ROUTING_LOCK_TTL: `${LEASE_MS}ms` },
  });
  const crashingClient = createRoutingClient({ baseUrl: crashing.url, maxAttempts: 1, timeoutMs: 30_000 });
  try {
    const project = await createProjectFixture(pool);
    const dep = await createDeploymentFixture(pool, project);
    const request = (key: string): AssignDomainsInput => ({
      workspaceId: project.workspaceId,
      projectId: project.projectId,
      environmentId: project.productionId,
      deploymentId: dep.id,
      idempotencyKey: key,
      gatewayConfig: gatewayConfigFor(dep.id),
      domains: [{ name: `crash-${project.projectId.slice(-8)}.hydra.test`, sticky: DomainSticky.BRANCH }],
    });
    const blocker = await holdAfterLock();
    const lost = crashingClient
      .assignDomains(request("crashed"))
      .catch((error: unknown) => Code[ConnectError.from(error).code]);
    await fencingReadWaiting();
    await crashing.stop("SIGKILL");
    await blocker.query("ROLLBACK");
    await blocker.end();
    expect(await lost).toBe("Unavailable");
    // The other process waits out the dead holder's lease (HYDRA_ROUTING_LOCK_WAIT 10 s > lease).
    expect((await freshClient.assignDomains(request("after-crash"))).routingGeneration).toBe(1n);
    const ops = await pool.query("SELECT idempotency_key FROM routing_operations WHERE project_id = $1", [
      project.projectId,
    ]);
    expect(ops.rows).toEqual([{ idempotency_key: "after-crash" }]);
  } finally {
    crashingClient.close();
    await crashing.stop("SIGKILL");
  }
}, 60_000);
