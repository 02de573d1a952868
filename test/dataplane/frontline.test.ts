// The edge with every part real: routing-svc and frontline processes, a real HAProxy driven
// through its runtime API, and stand-in sentinel targets as their own HTTP server processes.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createPool, newId, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { DomainSticky } from "@hydra/proto/hydra/v1";
import { createRoutingClient, type RoutingClient } from "../../packages/routing/src/client";
import {
  createDeploymentFixture,
  createProjectFixture,
  freePort,
  type ProjectFixture,
} from "../../packages/routing/src/testing";
import { type ServiceProcess, startService } from "../support/service-process";
import { edgeGet, type EchoServer, eventually, killHaproxy, startEchoServer } from "./support/processes";

const TOKEN = "frontline-test-token";
let database: TestDatabase;
let pool: Pool;
let routing: ServiceProcess;
let frontline: ServiceProcess | undefined;
let client: RoutingClient;
let stateDir: string;
let edgeUrl: string;
let sentinelA: EchoServer;
let sentinelB: EchoServer;
let project: ProjectFixture;
const deployments: Record<"a" | "b", string> = { a: "", b: "" };

const frontlineEnv = (edgePort: number) => ({
  ROUTING_SVC_URL: routing.url,
  HYDRA_API_TOKEN: TOKEN,
  HYDRA_REGION: "local",
  HYDRA_DEFAULT_DOMAIN: "hydra.test",
  HYDRA_FRONTLINE_ADDR: `127.0.0.1:${edgePort}`,
  HYDRA_FRONTLINE_STATE_DIR: stateDir,
});
const startRouting = () =>
  startService("routing-svc", {
    env: {
      DATABASE_URL: database.url,
      HYDRA_DEFAULT_DOMAIN: "hydra.test",
      HYDRA_API_TOKEN: TOKEN,
      ROUTING_SVC_ADDR: routing ? new URL(routing.url).host : "127.0.0.1:0",
    },
  });
let edgePort: number;

beforeAll(async () => {
  database = await createTestDatabase("frontline");
  pool = createPool(database.url, { max: 4 });
  stateDir = await mkdtemp(path.join(os.tmpdir(), "hydra-frontline-test-"));
  [routing, sentinelA, sentinelB, edgePort] = await Promise.all([
    startRouting(),
    startEchoServer("A"),
    startEchoServer("B"),
    freePort(),
  ]);
  client = createRoutingClient({ baseUrl: routing.url, token: TOKEN });
  frontline = await startService("frontline", { env: frontlineEnv(edgePort) });
  edgeUrl = `http://127.0.0.1:${edgePort}`;
  project = await createProjectFixture(pool);
  deployments.a = (await createDeploymentFixture(pool, project)).id;
  deployments.b = (await createDeploymentFixture(pool, project)).id;
}, 90_000);

afterAll(async () => {
  await frontline?.stop();
  await killHaproxy(stateDir);
  client?.close();
  await Promise.all([routing?.stop(), sentinelA?.stop(), sentinelB?.stop()]);
  await pool?.end();
  await database?.drop();
  await rm(stateDir, { recursive: true, force: true });
});

const host = (label: string) => `${label}-${project.projectId.slice(-8)}.hydra.test`;
const names = () => [host("env"), host("branch"), host("live")];
const config = (deploymentId: string, sentinel: EchoServer) => ({
  deploymentId,
  isEnabled: true,
  port: 8080,
  sentinels: [
    {
      region: "local",
      serviceHost: "sentinel.local.svc.cluster.local",
      servicePort: 80,
      externalAddress: sentinel.address,
    },
  ],
});
async function domainIds(hostnames: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>("SELECT id FROM domains WHERE name = ANY($1)", [hostnames]);
  return rows.map((r) => r.id);
}

it("routes each hostname to its deployment's sentinel with the deployment id header; unknown and local hostnames get 404", async () => {
  await client.assignDomains({
    workspaceId: project.workspaceId,
    projectId: project.projectId,
    environmentId: project.productionId,
    deploymentId: deployments.a,
    idempotencyKey: newId("routingOperation"),
    gatewayConfig: config(deployments.a, sentinelA),
    setLive: true,
    domains: [
      { name: host("env"), sticky: DomainSticky.ENVIRONMENT },
      { name: host("branch"), sticky: DomainSticky.BRANCH },
      { name: host("live"), sticky: DomainSticky.LIVE },
      { name: `app-${project.projectId.slice(-8)}.localhost`, sticky: DomainSticky.BRANCH },
    ],
  });
  for (const name of names()) {
    const response = await eventually(
      `${name} served`,
      () => edgeGet(edgeUrl, name, { headers: { "X-Hydra-Deployment-Id": "dep_forged" } }),
      (r) => r.status === 200,
    );
    expect(response).toMatchObject({ name: "A", deploymentId: deployments.a });
  }
  // The Host header's port and case do not matter.
  expect(await edgeGet(edgeUrl, `${host("env").toUpperCase()}:80`)).toMatchObject({ status: 200, name: "A" });
  const unknown = await edgeGet(edgeUrl, "nobody.hydra.test");
  expect(unknown).toMatchObject({ status: 404, body: "hydra: no deployment is routed for this hostname" });
  expect(await edgeGet(edgeUrl, `app-${project.projectId.slice(-8)}.localhost`)).toMatchObject({ status: 404 });
});

it("a SwitchDomains of three hostnames flips them together: once one answers from B, none answers from A", async () => {
  await client.assignDomains({
    workspaceId: project.workspaceId,
    projectId: project.projectId,
    environmentId: project.productionId,
    deploymentId: deployments.b,
    idempotencyKey: newId("routingOperation"),
    gatewayConfig: config(deployments.b, sentinelB),
    domains: [],
  });
  const seen: Array<{ name?: string; status: number }> = [];
  let polling = true;
  const poller = (async () => {
    while (polling) for (const name of names()) seen.push(await edgeGet(edgeUrl, name));
  })();
  await eventually(
    "a few requests before the switch",
    async () => seen.length,
    (n) => n >= 30,
  );
  await client.switchDomains({
    targetDeploymentId: deployments.b,
    domainIds: await domainIds(names()),
    setLive: true,
    rolledBack: false,
    expectedLiveDeploymentId: deployments.a,
    idempotencyKey: newId("routingOperation"),
  });
  await eventually(
    "every hostname on B",
    async () => seen.slice(-3).map((r) => r.name),
    (last) => last.every((n) => n === "B"),
  );
  const settled = seen.length;
  await eventually(
    "more requests after the switch",
    async () => seen.length,
    (n) => n >= settled + 30,
  );
  polling = false;
  await poller;
  expect(seen.filter((r) => r.status !== 200)).toEqual([]);
  const firstB = seen.findIndex((r) => r.name === "B");
  expect(firstB).toBeGreaterThan(0);
  expect(seen.slice(firstB).filter((r) => r.name !== "B")).toEqual([]);

  const metrics = await (await fetch(`${frontline!.url}/metrics`)).text();
  expect(metrics).toMatch(/hydra_frontline_applied_changes_total\{service="frontline"\} [1-9]/);
  expect(metrics).toMatch(/hydra_frontline_position_lag\{service="frontline"\} 0/);
  const health = await fetch(`${frontline!.url}/health`);
  expect(health.status).toBe(200);
});

it("with the agent and routing-svc killed HAProxy keeps serving; a restarted agent adopts it and resumes from its position", async () => {
  const before = JSON.parse(await readFile(path.join(stateDir, "applied.json"), "utf8")) as {
    position: string;
    haproxyPid: number;
  };
  await Promise.all([frontline!.stop("SIGKILL"), routing.stop("SIGKILL")]);
  for (let i = 0; i < 20; i++)
    for (const name of names()) expect(await edgeGet(edgeUrl, name)).toMatchObject({ status: 200, name: "B" });

  // routing-svc back (same address); a rollback commits while no agent runs.
  routing = await startRouting();
  await client.switchDomains({
    targetDeploymentId: deployments.a,
    domainIds: await domainIds(names()),
    setLive: true,
    rolledBack: true,
    expectedLiveDeploymentId: deployments.b,
    idempotencyKey: newId("routingOperation"),
  });
  expect(await edgeGet(edgeUrl, host("env"))).toMatchObject({ name: "B" });

  frontline = await startService("frontline", { env: frontlineEnv(edgePort) });
  const adopted = JSON.parse(await frontline.waitForLine((line) => line.includes("adopted the running haproxy"))) as {
    haproxy_pid: number;
    position: string;
  };
  expect(adopted).toMatchObject({ haproxy_pid: before.haproxyPid, position: before.position });
  await frontline.waitForLine((line) => line.includes("route stream: resuming"));
  for (const name of names()) {
    await eventually(
      `${name} back on A`,
      () => edgeGet(edgeUrl, name),
      (r) => r.name === "A",
    );
  }
  expect(frontline.lines.some((line) => line.includes("snapshot applied"))).toBe(false);
}, 60_000);
