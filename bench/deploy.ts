// Deploy, Rollback and Promote through the real servers (separate processes, HTTP/2), on the
// simulated cluster driver with instant readiness, so what is measured is hydra itself:
// CreateDeployment → READY observed, Rollback/Promote RPC latency, throughput of 200 deploys
// across 20 projects 16 at a time, and each server's peak resident memory.
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { createTestDatabase } from "@hydra/db/testing";
import { DeploymentService, ProjectService } from "@hydra/proto/ctrl/v1";
import { DeployService, DeploymentStatus } from "@hydra/proto/hydra/v1";
import { ClientFactory } from "../test/support/clients";
import { startService, type ServiceProcess } from "../test/support/service-process";
import { percentile, round, type BenchSuite, type Figure } from "./report";

const SEQUENTIAL_DEPLOYS = 40;
const SWITCHES = 60;
const THROUGHPUT_DEPLOYS = 200;
const THROUGHPUT_PROJECTS = 20;
const THROUGHPUT_CONCURRENCY = 16;

/** Peak resident set size of a process (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function run(): Promise<Figure[]> {
  const db = await createTestDatabase("bench_deploy");
  const clients = new ClientFactory();
  const servers: ServiceProcess[] = [];
  try {
    const routing = await startService("routing-svc", { env: { DATABASE_URL: db.url } });
    servers.push(routing);
    const deploy = await startService("deploy-svc", {
      env: {
        DATABASE_URL: db.url,
        ROUTING_SVC_URL: routing.url,
        HYDRA_SIMULATED_READY_MS: "0",
        HYDRA_STANDBY_DELAY: "1h",
      },
    });
    servers.push(deploy);
    const projects = clients.client(ProjectService, deploy.url);
    const deployments = clients.client(DeploymentService, deploy.url);
    const deployService = clients.client(DeployService, deploy.url);

    const { workspaceId } = await projects.createWorkspace({
      name: "Bench",
      slug: `bench-${randomBytes(3).toString("hex")}`,
    });
    const newProject = async (slug: string) =>
      (await projects.createProject({ workspaceId, name: slug, slug })).projectId;

    /** CreateDeployment → READY seen on WatchDeployment; milliseconds. */
    const deployOnce = async (projectId: string, n: number): Promise<{ ms: number; id: string }> => {
      const started = performance.now();
      const sha = randomBytes(20).toString("hex");
      const { deploymentId } = await deployments.createDeployment({
        projectId,
        environmentSlug: "production",
        branch: "main",
        gitCommit: { commitSha: sha },
        source: { case: "dockerImage", value: { image: `registry.example/app:${n}` } },
      });
      for await (const event of deployments.watchDeployment({ deploymentId })) {
        if (event.event.case === "status") {
          const status = event.event.value.status;
          if (status === DeploymentStatus.READY) return { ms: performance.now() - started, id: deploymentId };
          if (status === DeploymentStatus.FAILED || status === DeploymentStatus.CANCELLED) {
            throw new Error(
              `deployment ${deploymentId} ended ${DeploymentStatus[status]}: ${event.event.value.reason}`,
            );
          }
        }
      }
      throw new Error(`watch of ${deploymentId} ended before READY`);
    };

    // Warm-up: first calls pay for connections, prepared statements and JIT.
    const warm = await newProject("warm");
    for (let i = 0; i < 5; i++) await deployOnce(warm, i);

    // 1. Sequential deploys.
    const single = await newProject("single");
    const e2e: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < SEQUENTIAL_DEPLOYS; i++) {
      const { ms, id } = await deployOnce(single, i);
      e2e.push(ms);
      ids.push(id);
    }

    // 2. Rollback and Promote alternate between the two newest deployments.
    const [older, newer] = [ids[ids.length - 2]!, ids[ids.length - 1]!];
    const rollbacks: number[] = [];
    const promotes: number[] = [];
    for (let i = 0; i < SWITCHES; i++) {
      let t = performance.now();
      await deployService.rollback({ sourceDeploymentId: newer, targetDeploymentId: older });
      rollbacks.push(performance.now() - t);
      t = performance.now();
      await deployService.promote({ targetDeploymentId: newer });
      promotes.push(performance.now() - t);
    }

    // 3. Throughput: 200 deploys across 20 projects, 16 at a time.
    const throughputProjects = await Promise.all(
      Array.from({ length: THROUGHPUT_PROJECTS }, (_, i) => newProject(`tp-${i}`)),
    );
    const latencies: number[] = [];
    let next = 0;
    const startedAt = performance.now();
    await Promise.all(
      Array.from({ length: THROUGHPUT_CONCURRENCY }, async () => {
        for (;;) {
          const n = next++;
          if (n >= THROUGHPUT_DEPLOYS) return;
          latencies.push((await deployOnce(throughputProjects[n % THROUGHPUT_PROJECTS]!, n)).ms);
        }
      }),
    );
    const seconds = (performance.now() - startedAt) / 1000;

    const deployRss = peakRssMb(deploy.child.pid!);
    const routingRss = peakRssMb(routing.child.pid!);
    const baseline = "simulated driver, instant readiness: all of it is hydra";
    return [
      {
        name: "deploy.e2e_p50_ms",
        value: round(percentile(e2e, 50)),
        unit: "ms",
        baseline: "CreateDeployment → READY observed, sequential",
      },
      {
        name: "deploy.e2e_p99_ms",
        value: round(percentile(e2e, 99)),
        unit: "ms",
        baseline: "CreateDeployment → READY observed, sequential",
      },
      { name: "deploy.overhead_p50_ms", value: round(percentile(e2e, 50)), unit: "ms", baseline },
      {
        name: "rollback.p50_ms",
        value: round(percentile(rollbacks, 50)),
        unit: "ms",
        baseline: "Rollback RPC round trip (goal p99 < 50)",
      },
      {
        name: "rollback.p99_ms",
        value: round(percentile(rollbacks, 99)),
        unit: "ms",
        baseline: "Rollback RPC round trip (goal < 50)",
      },
      {
        name: "promote.p50_ms",
        value: round(percentile(promotes, 50)),
        unit: "ms",
        baseline: "Promote RPC round trip",
      },
      {
        name: "promote.p99_ms",
        value: round(percentile(promotes, 99)),
        unit: "ms",
        baseline: "Promote RPC round trip (goal < 50)",
      },
      {
        name: "deploy.throughput_per_s",
        value: round(THROUGHPUT_DEPLOYS / seconds),
        unit: "deploys/s",
        baseline: "200 deploys, 20 projects, 16 at a time",
      },
      {
        name: "deploy.throughput_p99_ms",
        value: round(percentile(latencies, 99)),
        unit: "ms",
        baseline: "per deploy, under that load",
      },
      {
        name: "deploy.rss_peak_mb",
        value: round(deployRss, 1),
        unit: "MB",
        baseline: "deploy-svc peak RSS (goal < 256)",
      },
      {
        name: "routing.rss_peak_mb",
        value: round(routingRss, 1),
        unit: "MB",
        baseline: "routing-svc peak RSS (goal < 128)",
      },
    ];
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.Unavailable) {
      throw new Error(
        `a server went away: ${error.message}\n${servers.map((s) => s.lines.slice(-10).join("\n")).join("\n")}`,
      );
    }
    throw error;
  } finally {
    clients.close();
    await Promise.all(servers.map((s) => s.stop()));
    await db.drop();
  }
}

export const suite: BenchSuite = { name: "deploy", run };
