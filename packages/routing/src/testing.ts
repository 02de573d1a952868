// Fixtures and checks shared by routing's tests and benchmark: plain SQL, real Postgres.
import { spawn } from "node:child_process";
import { randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { newId } from "@hydra/db";
import Redis from "ioredis";
import type { Queryable } from "@hydra/db";

export interface ProjectFixture {
  workspaceId: string;
  projectId: string;
  productionId: string;
  previewId: string;
}

export async function createProjectFixture(
  db: Queryable,
  slug = `p${Math.random().toString(36).slice(2, 10)}`,
): Promise<ProjectFixture> {
  const workspaceId = newId("workspace");
  const projectId = newId("project");
  const productionId = newId("environment");
  const previewId = newId("environment");
  await db.query("INSERT INTO workspaces (id, name, slug) VALUES ($1, $2, $2)", [workspaceId, `ws-${slug}`]);
  await db.query("INSERT INTO projects (id, workspace_id, name, slug) VALUES ($1, $2, $3, $3)", [
    projectId,
    workspaceId,
    slug,
  ]);
  await db.query(
    `INSERT INTO environments (id, workspace_id, project_id, slug, production, regions)
     VALUES ($1, $3, $4, 'production', true, '{"local":1}'), ($2, $3, $4, 'preview', false, '{"local":1}')`,
    [productionId, previewId, workspaceId, projectId],
  );
  return { workspaceId, projectId, productionId, previewId };
}

export interface DeploymentFixture {
  id: string;
  sequence: bigint;
  environmentId: string;
}

/** A deployment with the project's next sequence; `gatewayConfig` stores its own config. */
export async function createDeploymentFixture(
  db: Queryable,
  project: ProjectFixture,
  options: { environmentId?: string; branch?: string; gatewayConfig?: Record<string, unknown> } = {},
): Promise<DeploymentFixture> {
  const id = newId("deployment");
  const environmentId = options.environmentId ?? project.productionId;
  const { rows } = await db.query<{ sequence: bigint }>(
    `WITH next AS (
       UPDATE projects SET deployment_sequence = deployment_sequence + 1 WHERE id = $2 RETURNING deployment_sequence
     )
     INSERT INTO deployments (id, workspace_id, project_id, environment_id, sequence, branch, source, status, gateway_config)
     SELECT $1, $3, $2, $4, next.deployment_sequence, $5, '{"dockerImage":{"image":"nginx"}}', 'ready', $6::jsonb FROM next
     RETURNING sequence`,
    [
      id,
      project.projectId,
      project.workspaceId,
      environmentId,
      options.branch ?? "main",
      options.gatewayConfig ? JSON.stringify(options.gatewayConfig) : null,
    ],
  );
  return { id, sequence: rows[0]!.sequence, environmentId };
}

/** A gateway config as AssignDomains takes it (init shape of hydra.v1.GatewayConfig). */
export function gatewayConfigFor(deploymentId: string, regions = 1) {
  return {
    deploymentId,
    isEnabled: true,
    port: 8080,
    sentinels: Array.from({ length: regions }, (_, i) => ({
      region: `r${i}`,
      serviceHost: `sentinel-env-x.ws-x.svc.cluster.local`,
      servicePort: 80,
      externalAddress: "",
    })),
  };
}

/** Every row of the tables routing writes, in a stable order: compare two to prove nothing changed. */
export async function snapshotRoutingTables(db: Queryable): Promise<Record<string, unknown[]>> {
  const tables = {
    projects: "SELECT id, live_deployment_id, is_rolled_back, routing_generation, updated_at FROM projects ORDER BY id",
    deployments: "SELECT id, gateway_config, updated_at FROM deployments ORDER BY id",
    domains: "SELECT * FROM domains ORDER BY id",
    gateway_configs: "SELECT * FROM gateway_configs ORDER BY hostname",
    routing_operations: "SELECT * FROM routing_operations ORDER BY id",
  };
  const snapshot: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(tables)) snapshot[name] = (await db.query(sql)).rows;
  return JSON.parse(JSON.stringify(snapshot, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as Record<
    string,
    unknown[]
  >;
}

/**
 * SPEC §4 invariants 1–3 for one project; returns the violations (empty when they hold).
 * 1. every domain points at a deployment of its own project, and its gateway config (when the
 *    hostname is not local) names the same deployment; 2. the live pointer equals the
 *    deployment of every LIVE domain; 3. the committed generations are exactly 1..N.
 */
export async function routingInvariantViolations(
  db: Queryable,
  projectId: string,
  isLocal: (hostname: string) => boolean,
): Promise<string[]> {
  const violations: string[] = [];
  const domains = await db.query<{
    name: string;
    deployment_id: string;
    dep_project: string | null;
    sticky: string;
    gw_deployment: string | null;
    gw_config_deployment: string | null;
  }>(
    `SELECT d.name, d.deployment_id, dep.project_id AS dep_project, d.sticky::text AS sticky,
            g.deployment_id AS gw_deployment, g.config->>'deploymentId' AS gw_config_deployment
       FROM domains d LEFT JOIN deployments dep ON dep.id = d.deployment_id
       LEFT JOIN gateway_configs g ON g.hostname = d.name
      WHERE d.project_id = $1`,
    [projectId],
  );
  for (const d of domains.rows) {
    if (d.dep_project !== projectId)
      violations.push(`domain ${d.name} points at ${d.deployment_id} of project ${d.dep_project}`);
    if (isLocal(d.name)) {
      if (d.gw_deployment !== null) violations.push(`local domain ${d.name} has a gateway config`);
    } else if (d.gw_deployment !== d.deployment_id || d.gw_config_deployment !== d.deployment_id) {
      violations.push(
        `domain ${d.name} → ${d.deployment_id} but gateway config → ${d.gw_deployment}/${d.gw_config_deployment}`,
      );
    }
  }
  const project = await db.query<{ live_deployment_id: string | null; routing_generation: bigint }>(
    "SELECT live_deployment_id, routing_generation FROM projects WHERE id = $1",
    [projectId],
  );
  const live = project.rows[0]?.live_deployment_id ?? null;
  for (const d of domains.rows.filter((row) => row.sticky === "live")) {
    if (d.deployment_id !== live)
      violations.push(`LIVE domain ${d.name} → ${d.deployment_id} but live pointer → ${live}`);
  }
  const generations = (
    await db.query<{ routing_generation: bigint }>(
      "SELECT routing_generation FROM routing_operations WHERE project_id = $1 ORDER BY routing_generation",
      [projectId],
    )
  ).rows.map((r) => r.routing_generation);
  generations.forEach((g, i) => {
    if (g !== BigInt(i + 1)) violations.push(`generation #${i + 1} is ${g}`);
  });
  const current = project.rows[0]?.routing_generation ?? 0n;
  if (current !== BigInt(generations.length))
    violations.push(`project generation ${current} but ${generations.length} operations recorded`);
  return violations;
}

/** Ports this process handed out: never twice. */
const handedOut = new Set<number>();

/** The first port of the kernel's ephemeral range (outgoing connections take their local ports there). */
function ephemeralLow(): number {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    return low !== undefined && Number.isInteger(low) && low > 20_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on 127.0.0.1 for a server that another process binds a moment later (or
 * binds again after a restart). Chosen at random below the kernel's ephemeral range: a port
 * the kernel hands out for `listen(0)` is also where outgoing connections get their local
 * ports, and one of them can take it before the server binds (seen: a kube-controller-manager
 * failing with EADDRINUSE). Checked free by binding it once.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow() - 1;
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = randomInt(15_000, high + 1);
    if (handedOut.has(port) || !(await canBind(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port between 15000 and ${high}`);
}

export interface RedisServerProcess {
  port: number;
  url: string;
  /** SIGKILLs the server and waits for it to exit. */
  kill(): Promise<void>;
}

/** Starts a throwaway redis-server on `port` (no persistence) and waits until it answers PING. */
export async function startRedisServer(port?: number, deadlineMs = 10_000): Promise<RedisServerProcess> {
  const chosen = port ?? (await freePort());
  const child = spawn(
    "redis-server",
    ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
    {
      stdio: "ignore",
    },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `redis://127.0.0.1:${chosen}`;
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const probe = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      connectTimeout: 500,
      disconnectTimeout: 100,
      retryStrategy: () => null,
    });
    probe.on("error", () => {});
    try {
      await probe.connect();
      if ((await probe.ping()) === "PONG") break;
    } catch {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`redis-server on port ${chosen} did not answer within ${deadlineMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      probe.disconnect();
    }
  }
  return {
    port: chosen,
    url,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
