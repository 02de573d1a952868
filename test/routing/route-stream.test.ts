// WatchRoutes against real routing-svc processes: the bearer token, the region filter, and a
// watcher that loses its server mid-stream (SIGKILL) and resumes on another one from its last
// position while other processes commit: no gap, no duplicate, the same table as the database.
import { Code, ConnectError } from "@connectrpc/connect";
import { createPool, newId, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { DomainSticky, type WatchRoutesResponse } from "@hydra/proto/hydra/v1";
import { createRoutingClient, type RoutingClient } from "../../packages/routing/src/client";
import { RouteTable } from "../../packages/routing/src/route-table";
import { sequenceRouteChanges } from "../../packages/routing/src/sql/sequenceRouteChanges";
import { createDeploymentFixture, createProjectFixture, gatewayConfigFor } from "../../packages/routing/src/testing";
import { type ServiceProcess, startService } from "../support/service-process";

const TOKEN = "route-stream-token";
let database: TestDatabase;
let pool: Pool;
let first: ServiceProcess;
let second: ServiceProcess;

beforeAll(async () => {
  database = await createTestDatabase("route_stream");
  pool = createPool(database.url, { max: 4 });
  const env = { DATABASE_URL: database.url, HYDRA_DEFAULT_DOMAIN: "hydra.test", HYDRA_API_TOKEN: TOKEN };
  [first, second] = await Promise.all([startService("routing-svc", { env }), startService("routing-svc", { env })]);
}, 60_000);

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
  await pool?.end();
  await database?.drop();
});

async function firstMessage(client: RoutingClient, region: string): Promise<WatchRoutesResponse | string> {
  const controller = new AbortController();
  try {
    for await (const message of client.watchRoutes({ region, afterPosition: 0n }, { signal: controller.signal }))
      return message;
    return "ended";
  } catch (error) {
    return Code[ConnectError.from(error).code];
  } finally {
    controller.abort();
  }
}

it("needs the bearer token, and a region", async () => {
  const anonymous = createRoutingClient({ baseUrl: second.url });
  const wrong = createRoutingClient({ baseUrl: second.url, token: "not-the-token" });
  const authorized = createRoutingClient({ baseUrl: second.url, token: TOKEN });
  expect(await firstMessage(anonymous, "local")).toBe("Unauthenticated");
  expect(await firstMessage(wrong, "local")).toBe("Unauthenticated");
  expect(await firstMessage(authorized, "")).toBe("InvalidArgument");
  expect(await firstMessage(authorized, "*")).toBe("InvalidArgument");
  const snapshot = await firstMessage(authorized, "r0");
  expect(typeof snapshot === "object" && snapshot.event.case).toBe("snapshot");
  for (const client of [anonymous, wrong, authorized]) client.close();
});

it("a watcher whose server is killed resumes on another from its position: every commit once, in order", async () => {
  const writers = [createRoutingClient({ baseUrl: second.url, token: TOKEN })];
  const projects = await Promise.all(Array.from({ length: 3 }, () => createProjectFixture(pool)));
  const table = new RouteTable();
  const positions: bigint[] = [];
  const watcherClient = createRoutingClient({ baseUrl: first.url, token: TOKEN });
  const controller = new AbortController();
  let lost: string | undefined;
  const firstRun = (async () => {
    try {
      for await (const message of watcherClient.watchRoutes(
        { region: "r0", afterPosition: 0n },
        { signal: controller.signal },
      )) {
        table.apply(message);
        if (message.event.case === "change") positions.push(message.event.value.position);
      }
    } catch (error) {
      lost = Code[ConnectError.from(error).code];
    }
  })();

  let committed = 0;
  const writing = Promise.all(
    projects.map(async (project) => {
      const deployments = await Promise.all([0, 1].map(() => createDeploymentFixture(pool, project)));
      const names = [0, 1, 2].map((i) => `w${i}-${project.projectId.slice(-8)}.hydra.test`);
      for (let i = 0; i < 12; i++) {
        const deployment = deployments[i % 2]!;
        await writers[0]!.assignDomains({
          workspaceId: project.workspaceId,
          projectId: project.projectId,
          environmentId: project.productionId,
          deploymentId: deployment.id,
          idempotencyKey: newId("routingOperation"),
          gatewayConfig: gatewayConfigFor(deployment.id),
          domains: names.map((name) => ({
            name,
            sticky: i % 3 === 0 ? DomainSticky.BRANCH : DomainSticky.ENVIRONMENT,
          })),
        });
        committed++;
      }
    }),
  );
  const deadline = Date.now() + 20_000;
  while (committed < 12) {
    if (Date.now() > deadline) throw new Error("writers made no progress");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await first.stop("SIGKILL");
  await firstRun;
  expect(lost).toBe("Unavailable");
  const resumedFrom = table.position;

  const resumedClient = createRoutingClient({ baseUrl: second.url, token: TOKEN });
  const resumed = (async () => {
    for await (const message of resumedClient.watchRoutes(
      { region: "r0", afterPosition: resumedFrom },
      { signal: controller.signal },
    )) {
      table.apply(message); // throws on a gap or a duplicate
      if (message.event.case === "change") positions.push(message.event.value.position);
      if (message.event.case === "snapshot") throw new Error(`resumed with a snapshot: ${message.event.value.reason}`);
    }
  })().catch((error: unknown) => (controller.signal.aborted ? undefined : Promise.reject(error)));
  await writing;
  // A sequencer round after the last commit: every committed change has its position.
  const { head } = await sequenceRouteChanges(pool);
  const caughtUp = Date.now() + 20_000;
  while (table.position !== head) {
    if (Date.now() > caughtUp) throw new Error(`watcher stuck at ${table.position}, head ${head}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  controller.abort();
  await resumed;

  expect(positions).toEqual(Array.from({ length: positions.length }, (_, i) => positions[0]! + BigInt(i)));
  const { rows } = await pool.query<{ hostname: string; deployment_id: string }>(
    "SELECT hostname, deployment_id FROM gateway_configs",
  );
  expect(Object.fromEntries([...table.routes].map(([h, r]) => [h, r.deploymentId]))).toEqual(
    Object.fromEntries(rows.map((r) => [r.hostname, r.deployment_id])),
  );
  for (const client of [...writers, watcherClient, resumedClient]) client.close();
}, 90_000);
