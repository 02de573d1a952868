// Routing benchmark (SPEC §5): AssignDomains with 1, 100 and 1,000 domains; SwitchDomains of 10
// domains p50/p99; the project lock's acquire+release against a bare Redis round trip; and
// throughput of 100 projects in parallel against one project (serialization is per project).
// The routing core runs in this process against real Postgres and Redis (REDIS_URLS), in a
// scratch database created and dropped here.
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { applyMigrations, createPool, newId, type Pool, withDatabase } from "@hydra/db";
import { AssignDomainsRequestSchema, DomainSticky, SwitchDomainsRequestSchema } from "@hydra/proto/hydra/v1";
import pg from "pg";
import { RoutingCore } from "../packages/routing/src/core";
import { ProjectLock } from "../packages/routing/src/lock";
import {
  createDeploymentFixture,
  createProjectFixture,
  gatewayConfigFor,
  type ProjectFixture,
} from "../packages/routing/src/testing";
import { readFileSync } from "node:fs";
import { createRoutingClient } from "../packages/routing/src/client";
import { startService } from "../test/support/service-process";
import { type BenchSuite, type Figure, percentile, round } from "./report";

const SERVER_URL = process.env.HYDRA_BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const REDIS_URLS = (process.env.REDIS_URLS ?? "redis://127.0.0.1:6379")
  .split(",")
  .map((u) => u.trim())
  .filter(Boolean);

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

interface Bench {
  pool: Pool;
  lock: ProjectLock;
  core: RoutingCore;
}

async function assignOnce(b: Bench, project: ProjectFixture, names: string[]): Promise<number> {
  const dep = await createDeploymentFixture(b.pool, project);
  const request = create(AssignDomainsRequestSchema, {
    workspaceId: project.workspaceId,
    projectId: project.projectId,
    environmentId: project.productionId,
    deploymentId: dep.id,
    idempotencyKey: newId("routingOperation"),
    gatewayConfig: gatewayConfigFor(dep.id, 3),
    domains: names.map((name) => ({ name, sticky: DomainSticky.BRANCH })),
  });
  const start = process.hrtime.bigint();
  await b.core.assignDomains(request);
  return elapsedMs(start);
}

async function assignFigures(b: Bench): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const [count, runs] of [
    [1, 50],
    [100, 20],
    [1000, 8],
  ] as const) {
    const project = await createProjectFixture(b.pool);
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      // Half the runs insert new domains, half reassign the previous run's domains.
      const generation = Math.floor(run / 2);
      const names = Array.from(
        { length: count },
        (_, i) => `d${i}-g${generation}-${project.projectId.slice(-8)}.bench.example.com`,
      );
      times.push(await assignOnce(b, project, names));
    }
    figures.push({
      name: `routing.assign_${count}_ms`,
      value: round(percentile(times, 50)),
      unit: "ms",
      baseline: `p50 of ${runs} AssignDomains of ${count} domain(s) (insert or reassign + gateway configs), lock + one transaction`,
    });
  }
  return figures;
}

async function switchFigures(b: Bench): Promise<Figure[]> {
  const project = await createProjectFixture(b.pool);
  const deps = [await createDeploymentFixture(b.pool, project), await createDeploymentFixture(b.pool, project)];
  const names = Array.from({ length: 10 }, (_, i) => `s${i}-${project.projectId.slice(-8)}.bench.example.com`);
  for (const dep of deps) {
    await b.core.assignDomains(
      create(AssignDomainsRequestSchema, {
        workspaceId: project.workspaceId,
        projectId: project.projectId,
        environmentId: project.productionId,
        deploymentId: dep.id,
        idempotencyKey: newId("routingOperation"),
        gatewayConfig: gatewayConfigFor(dep.id, 3),
        setLive: true,
        domains: names.map((name) => ({ name, sticky: DomainSticky.ENVIRONMENT })),
      }),
    );
  }
  const ids = (
    await b.pool.query<{ id: string }>("SELECT id FROM domains WHERE project_id = $1", [project.projectId])
  ).rows.map((r) => r.id);
  const times: number[] = [];
  let live = deps[1]!.id;
  for (let i = 0; i < 300; i++) {
    const target = deps[i % 2]!.id;
    const start = process.hrtime.bigint();
    await b.core.switchDomains(
      create(SwitchDomainsRequestSchema, {
        targetDeploymentId: target,
        domainIds: ids,
        idempotencyKey: newId("routingOperation"),
        setLive: true,
        rolledBack: i % 2 === 0,
        expectedLiveDeploymentId: live,
      }),
    );
    if (i >= 20) times.push(elapsedMs(start)); // after warm-up
    live = target;
  }
  return [
    {
      name: "routing.switch10_p50_ms",
      value: round(percentile(times, 50)),
      unit: "ms",
      baseline: "goal p99 < 50 ms; SwitchDomains of 10 domains with set_live and CAS",
    },
    {
      name: "routing.switch10_p99_ms",
      value: round(percentile(times, 99)),
      unit: "ms",
      baseline: "goal < 50 ms (SPEC §5)",
    },
  ];
}

async function lockFigures(b: Bench): Promise<Figure[]> {
  const redis = b.lock.clients[0]!;
  const pings: number[] = [];
  const locks: number[] = [];
  const projectId = newId("project");
  for (let i = 0; i < 1_100; i++) {
    let start = process.hrtime.bigint();
    await redis.ping();
    const ping = elapsedMs(start);
    start = process.hrtime.bigint();
    await b.lock.probe(projectId);
    const lock = elapsedMs(start);
    if (i >= 100) {
      pings.push(ping);
      locks.push(lock);
    }
  }
  const ping = percentile(pings, 50);
  const lock = percentile(locks, 50);
  return [
    {
      name: "routing.redis_roundtrip_p50_us",
      value: round(ping * 1000, 0),
      unit: "us",
      baseline: `bare PING to ${REDIS_URLS.length} Redis`,
    },
    {
      name: "routing.lock_acquire_release_p50_us",
      value: round(lock * 1000, 0),
      unit: "us",
      baseline: "Redlock acquire + release of hydra:routing:<project>, uncontended",
    },
    {
      name: "routing.lock_overhead_ratio",
      value: round(lock / ping),
      unit: "x",
      baseline: "lock acquire+release p50 / bare Redis round trip p50 (2 round trips is the floor)",
    },
  ];
}

/** Ops per second for `total` one-domain AssignDomains spread over `projects`, `concurrency` in flight. */
async function throughput(b: Bench, projects: ProjectFixture[], total: number, concurrency: number): Promise<number> {
  const deps = await Promise.all(projects.map((p) => createDeploymentFixture(b.pool, p)));
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const index = i % projects.length;
        const project = projects[index]!;
        const dep = deps[index]!;
        await b.core.assignDomains(
          create(AssignDomainsRequestSchema, {
            workspaceId: project.workspaceId,
            projectId: project.projectId,
            environmentId: project.productionId,
            deploymentId: dep.id,
            idempotencyKey: newId("routingOperation"),
            gatewayConfig: gatewayConfigFor(dep.id),
            domains: [{ name: `t${i}-${project.projectId.slice(-8)}.bench.example.com`, sticky: DomainSticky.BRANCH }],
          }),
        );
      }
    }),
  );
  return total / (elapsedMs(start) / 1000);
}

async function parallelFigures(b: Bench): Promise<Figure[]> {
  const concurrency = 100;
  const total = 600;
  const one = await throughput(b, [await createProjectFixture(b.pool)], total, concurrency);
  const many: ProjectFixture[] = [];
  for (let i = 0; i < 100; i++) many.push(await createProjectFixture(b.pool));
  const hundred = await throughput(b, many, total, concurrency);
  return [
    {
      name: "routing.one_project_ops_per_s",
      value: round(one, 0),
      unit: "ops/s",
      baseline: `${total} AssignDomains on one project, ${concurrency} in flight (serialized by the project lock)`,
    },
    {
      name: "routing.parallel_projects_ops_per_s",
      value: round(hundred, 0),
      unit: "ops/s",
      baseline: `${total} AssignDomains over 100 projects, ${concurrency} in flight`,
    },
    {
      name: "routing.parallel_projects_speedup",
      value: round(hundred / one),
      unit: "x",
      baseline: "100 projects in parallel / one project; goal ≥ 2x on 2 cores",
    },
  ];
}

/** Peak resident memory of a process (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Through a routing-svc process: SwitchDomains(10) over Connect, and its memory under a 200-call storm. */
async function serverFigures(b: Bench, url: string): Promise<Figure[]> {
  const server = await startService("routing-svc", {
    env: { DATABASE_URL: url, REDIS_URLS: REDIS_URLS.join(","), HYDRA_ROUTING_LOCK_WAIT: "60s" },
  });
  const client = createRoutingClient({ baseUrl: server.url, timeoutMs: 60_000 });
  try {
    const project = await createProjectFixture(b.pool);
    const deps = [await createDeploymentFixture(b.pool, project), await createDeploymentFixture(b.pool, project)];
    const names = Array.from({ length: 10 }, (_, i) => `r${i}-${project.projectId.slice(-8)}.bench.example.com`);
    for (const dep of deps) {
      await client.assignDomains({
        workspaceId: project.workspaceId,
        projectId: project.projectId,
        environmentId: project.productionId,
        deploymentId: dep.id,
        idempotencyKey: newId("routingOperation"),
        gatewayConfig: gatewayConfigFor(dep.id, 3),
        setLive: true,
        domains: names.map((name) => ({ name, sticky: DomainSticky.ENVIRONMENT })),
      });
    }
    const ids = (
      await b.pool.query<{ id: string }>("SELECT id FROM domains WHERE project_id = $1", [project.projectId])
    ).rows.map((r) => r.id);
    const times: number[] = [];
    for (let i = 0; i < 220; i++) {
      const start = process.hrtime.bigint();
      await client.switchDomains({
        targetDeploymentId: deps[i % 2]!.id,
        domainIds: ids,
        idempotencyKey: newId("routingOperation"),
        setLive: true,
      });
      if (i >= 20) times.push(elapsedMs(start));
    }
    // A storm: 200 concurrent mutations on one project plus 200 spread over 20 projects.
    const others: ProjectFixture[] = [];
    for (let i = 0; i < 20; i++) others.push(await createProjectFixture(b.pool));
    const otherDeps = await Promise.all(others.map((p) => createDeploymentFixture(b.pool, p)));
    await Promise.all([
      ...Array.from({ length: 200 }, (_, i) =>
        client.switchDomains({
          targetDeploymentId: deps[i % 2]!.id,
          domainIds: ids,
          idempotencyKey: newId("routingOperation"),
          setLive: true,
        }),
      ),
      ...Array.from({ length: 200 }, (_, i) => {
        const p = others[i % others.length]!;
        const dep = otherDeps[i % others.length]!;
        return client.assignDomains({
          workspaceId: p.workspaceId,
          projectId: p.projectId,
          environmentId: p.productionId,
          deploymentId: dep.id,
          idempotencyKey: newId("routingOperation"),
          gatewayConfig: gatewayConfigFor(dep.id, 3),
          domains: Array.from({ length: 20 }, (_, j) => ({
            name: `m${i}-${j}-${p.projectId.slice(-8)}.bench.example.com`,
            sticky: DomainSticky.BRANCH,
          })),
        });
      }),
    ]);
    const rss = peakRssMb(server.child.pid!);
    return [
      {
        name: "routing.switch10_rpc_p50_ms",
        value: round(percentile(times, 50)),
        unit: "ms",
        baseline: "SwitchDomains(10) over Connect/h2c to a routing-svc process",
      },
      {
        name: "routing.switch10_rpc_p99_ms",
        value: round(percentile(times, 99)),
        unit: "ms",
        baseline: "goal < 50 ms (SPEC §5), through the server",
      },
      {
        name: "routing.svc_rss_peak_mb",
        value: round(rss, 1),
        unit: "MB",
        baseline:
          "routing-svc peak RSS (VmHWM) after 200 switches + 200 assigns of 20 domains concurrently; goal < 128 MB",
      },
    ];
  } finally {
    client.close();
    await server.stop();
  }
}

export const suite: BenchSuite = {
  name: "routing",
  async run() {
    const name = `hydra_bench_routing_${randomBytes(4).toString("hex")}`;
    await admin(`CREATE DATABASE ${name}`);
    const url = withDatabase(SERVER_URL, name);
    const pool = createPool(url, { max: 20, applicationName: "bench-routing" });
    const lock = new ProjectLock({ redisUrls: REDIS_URLS, waitMs: 60_000 });
    try {
      await applyMigrations(url);
      const b: Bench = { pool, lock, core: new RoutingCore({ pool, lock }) };
      return [
        ...(await assignFigures(b)),
        ...(await switchFigures(b)),
        ...(await lockFigures(b)),
        ...(await parallelFigures(b)),
        ...(await serverFigures(b, url)),
      ];
    } finally {
      await lock.close();
      await pool.end();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  },
};
