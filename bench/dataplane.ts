// Data plane benchmark (SPEC §5, issue 11): a real routing-svc, a real frontline agent driving
// a real HAProxy, and stand-in sentinel targets as their own HTTP server processes; load from
// wrk (Debian). Baselines are measured in the same run: the same load straight to the target.
//   switch_visible: SwitchDomains answered (committed) → first edge response from the new target.
//   failed_requests_during_switches: non-2xx and socket errors of a steady wrk load through
//     HAProxy while Rollback/Promote-like switch pairs run, plus failed probes.
//   added_latency_p99: wrk p99 through HAProxy minus straight to the target, same fixed rate.
//   rps: unthrottled wrk through HAProxy, and straight to the target.
//   snapshot_100k: agent start (no saved position) → the edge answers for a hostname of a
//     100,000-hostname snapshot (one map commit: any one served means all), with its phases;
//     25,000 deployments of 4 hostnames in 4 environments, so grouping is not flattered.
//   agent_rss: the agent's peak RSS (VmHWM) after loading those 100,000 hostnames.
import { mkdtemp, readFile, rm, unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { applyMigrations, createPool, newId, withDatabase } from "@hydra/db";
import { DomainSticky } from "@hydra/proto/hydra/v1";
import pg from "pg";
import { createRoutingClient } from "../packages/routing/src/client";
import { createDeploymentFixture, createProjectFixture, freePort } from "../packages/routing/src/testing";
import { type ServiceProcess, startService } from "../test/support/service-process";
import {
  awaitEdgeTarget,
  edgeGet,
  type EchoServer,
  eventually,
  killHaproxy,
  startEchoServer,
} from "../test/dataplane/support/processes";
import { startWrk, wrk } from "../test/dataplane/support/wrk";
import { type BenchSuite, type Figure, percentile, round } from "./report";

const SERVER_URL = process.env.HYDRA_BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const SWITCH_PAIRS = Number(process.env.HYDRA_BENCH_SWITCH_PAIRS ?? 100);
const SNAPSHOT_HOSTNAMES = 100_000;
const SNAPSHOT_DEPLOYMENTS = 25_000;
const SNAPSHOT_ENVIRONMENTS = 4;
const TOKEN = "bench-dataplane";

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
}

export const suite: BenchSuite = {
  name: "dataplane",
  async run(): Promise<Figure[]> {
    const name = `hydra_bench_dataplane_${process.pid}`;
    await admin(`CREATE DATABASE ${name}`);
    const url = withDatabase(SERVER_URL, name);
    const stateDir = await mkdtemp(path.join(os.tmpdir(), "hydra-bench-frontline-"));
    const processes: Array<ServiceProcess | EchoServer> = [];
    let frontline: ServiceProcess | undefined;
    let load: ReturnType<typeof startWrk> | undefined;
    const progress = (message: string) => process.stderr.write(`dataplane: ${message}\n`);
    try {
      await applyMigrations(url);
      const pool = createPool(url, { max: 4 });
      const routing = await startService("routing-svc", {
        env: { DATABASE_URL: url, HYDRA_DEFAULT_DOMAIN: "hydra.test", HYDRA_API_TOKEN: TOKEN },
      });
      processes.push(routing);
      const [targetA, targetB, edgePort] = await Promise.all([startEchoServer("A"), startEchoServer("B"), freePort()]);
      processes.push(targetA, targetB);
      const frontlineEnv = {
        ROUTING_SVC_URL: routing.url,
        HYDRA_API_TOKEN: TOKEN,
        HYDRA_DEFAULT_DOMAIN: "hydra.test",
        HYDRA_FRONTLINE_ADDR: `127.0.0.1:${edgePort}`,
        HYDRA_FRONTLINE_STATE_DIR: stateDir,
      };
      frontline = await startService("frontline", { env: frontlineEnv });
      const edgeUrl = `http://127.0.0.1:${edgePort}`;
      const client = createRoutingClient({ baseUrl: routing.url, token: TOKEN });

      const project = await createProjectFixture(pool);
      const [a, b] = [await createDeploymentFixture(pool, project), await createDeploymentFixture(pool, project)];
      const configFor = (deploymentId: string, target: EchoServer) => ({
        deploymentId,
        isEnabled: true,
        port: 8080,
        sentinels: [
          {
            region: "local",
            serviceHost: "sentinel.local.svc.cluster.local",
            servicePort: 80,
            externalAddress: target.address,
          },
        ],
      });
      const hosts = ["env", "branch", "live"].map((label) => `${label}-${project.projectId.slice(-8)}.hydra.test`);
      const assign = (deploymentId: string, target: EchoServer, domains: string[], setLive: boolean) =>
        client.assignDomains({
          workspaceId: project.workspaceId,
          projectId: project.projectId,
          environmentId: project.productionId,
          deploymentId,
          idempotencyKey: newId("routingOperation"),
          gatewayConfig: configFor(deploymentId, target),
          setLive,
          domains: domains.map((name, i) => ({ name, sticky: i === 2 ? DomainSticky.LIVE : DomainSticky.ENVIRONMENT })),
        });
      await assign(a.id, targetA, hosts, true);
      await assign(b.id, targetB, [], false);
      const { rows } = await pool.query<{ id: string }>("SELECT id FROM domains WHERE project_id = $1", [
        project.projectId,
      ]);
      const domainIds = rows.map((r) => r.id);
      const deadline = Date.now() + 15_000;
      while ((await edgeGet(edgeUrl, hosts[0]!).catch(() => ({ status: 0 }))).status !== 200) {
        if (Date.now() > deadline) throw new Error("the edge never served the first route");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }

      // Throughput and latency: through HAProxy against straight to the target.
      const direct = await wrk(targetA.url, hosts, { seconds: 5, connections: 32 }, stateDir);
      const edge = await wrk(edgeUrl, hosts, { seconds: 5, connections: 32 }, stateDir);
      const rate = 1_000;
      const directAtRate = await wrk(
        targetA.url,
        hosts,
        { seconds: 5, connections: 10, ratePerSecond: rate },
        stateDir,
      );
      const edgeAtRate = await wrk(edgeUrl, hosts, { seconds: 5, connections: 10, ratePerSecond: rate }, stateDir);

      // Switches under a steady load: every switch waits until the edge answers from the target.
      progress(
        `rps ${Math.round(edge.rps)} vs ${Math.round(direct.rps)}; p99 at rate ${edgeAtRate.p99Ms} vs ${directAtRate.p99Ms} ms; switching`,
      );
      load = startWrk(edgeUrl, hosts, { seconds: 3_600, connections: 8, ratePerSecond: 500 }, stateDir);
      const visibleMs: number[] = [];
      let failedProbes = 0;
      let live = a.id;
      for (let i = 0; i < SWITCH_PAIRS * 2; i++) {
        const [targetId, target, rolledBack] = live === a.id ? [b.id, targetB, false] : [a.id, targetA, true];
        await client.switchDomains({
          targetDeploymentId: targetId,
          domainIds,
          setLive: true,
          rolledBack,
          expectedLiveDeploymentId: live,
          idempotencyKey: newId("routingOperation"),
        });
        const reached = await awaitEdgeTarget(
          edgeUrl,
          hosts[i % hosts.length]!,
          (response) => response.name === target.name,
          10_000,
        );
        failedProbes += reached.failed.length;
        visibleMs.push(reached.elapsedMs);
        live = targetId;
      }
      load.stop();
      const during = await load.result;
      if (!(during.requests > 0)) throw new Error("wrk reported no requests for the load during the switches");

      progress(`switches done: p50 ${percentile(visibleMs, 50)} ms; ${during.requests} requests under load`);
      // Snapshot of 100,000 hostnames into a freshly started agent (no saved position): 25,000
      // deployments of 4 hostnames each (not adjacent in hostname order), in 4 environments,
      // each its own sentinel (two answered by each target).
      const suffix = project.projectId.slice(-8);
      await pool.query(
        `WITH h AS (SELECT g, 'dep_bench' || (g % ${SNAPSHOT_DEPLOYMENTS}) AS dep,
                           g % ${SNAPSHOT_DEPLOYMENTS} % ${SNAPSHOT_ENVIRONMENTS} AS env
                      FROM generate_series(1, ${SNAPSHOT_HOSTNAMES}) g)
         INSERT INTO gateway_configs (hostname, workspace_id, project_id, environment_id, deployment_id, config, updated_at)
         SELECT 'h' || g || '-${suffix}.hydra.test', $1, $2, 'env_bench' || env, dep,
                jsonb_build_object('deploymentId', dep, 'isEnabled', true, 'workspaceId', $1::text, 'projectId', $2::text,
                  'environmentId', 'env_bench' || env, 'port', 8080,
                  'sentinels', jsonb_build_array(jsonb_build_object('region', 'local',
                    'serviceHost', 'sentinel-env-bench' || env || '.svc.cluster.local', 'servicePort', 80,
                    'externalAddress', CASE WHEN env % 2 = 0 THEN $3 ELSE $4 END))),
                now()
           FROM h`,
        [project.workspaceId, project.projectId, targetA.address, targetB.address],
      );
      await frontline.stop();
      await unlink(path.join(stateDir, "applied.json"));
      const startedAt = Date.now();
      const started = performance.now();
      frontline = await startService("frontline", { env: frontlineEnv });
      const listeningMs = performance.now() - started;
      // Served at the edge: any one hostname of the snapshot means all (one map commit, one flip).
      await eventually(
        "the snapshot served at the edge",
        () => edgeGet(edgeUrl, `h${SNAPSHOT_HOSTNAMES}-${suffix}.hydra.test`),
        (response) => response.status === 200,
        180_000,
      );
      const snapshotMs = performance.now() - started;
      const logged = async (message: string) =>
        JSON.parse(await frontline!.waitForLine((line) => line.includes(`"msg":"${message}"`), 180_000)) as {
          time: string;
          load_ms?: number;
        };
      const streamStartedMs = Date.parse((await logged("route stream: starting from a snapshot")).time) - startedAt;
      const serving = await logged("snapshot serving");
      const servingMs = Date.parse(serving.time) - startedAt;
      const appliedMs = Date.parse((await logged("snapshot applied")).time) - startedAt;
      const snapshotPhases = `agent listening ${Math.round(listeningMs)} ms, stream opened ${streamStartedMs}, snapshot in hand ${servingMs - (serving.load_ms ?? 0)}, first map loaded + flipped ${servingMs}, second map ${appliedMs}`;
      const agentRss = await peakRssMb(frontline.child.pid!);

      client.close();
      await pool.end();
      const failed = during.non2xx + during.socketErrors + failedProbes;
      return [
        {
          name: "frontline.switch_visible_p50_ms",
          value: round(percentile(visibleMs, 50)),
          unit: "ms",
          baseline: `SwitchDomains answered → first edge response from the new target, ${visibleMs.length} switches`,
        },
        {
          name: "frontline.switch_visible_p99_ms",
          value: round(percentile(visibleMs, 99)),
          unit: "ms",
          baseline: "goal < 100 ms",
        },
        {
          name: "frontline.failed_requests_during_switches",
          value: failed,
          unit: "requests",
          baseline: `of ${during.requests} wrk requests at 500/s through HAProxy during ${SWITCH_PAIRS} rollback/promote pairs (non-2xx ${during.non2xx}, socket errors ${during.socketErrors}, failed probes ${failedProbes})`,
        },
        {
          name: "frontline.added_latency_p99_ms",
          value: round(edgeAtRate.p99Ms - directAtRate.p99Ms, 3),
          unit: "ms",
          baseline: `p99 at ${rate} req/s: through HAProxy ${edgeAtRate.p99Ms} ms vs straight to the target ${directAtRate.p99Ms} ms`,
        },
        {
          name: "frontline.rps",
          value: Math.round(edge.rps),
          unit: "req/s",
          baseline: `straight to the target ${Math.round(direct.rps)} req/s (wrk, 32 connections; the target is a Node echo server)`,
        },
        {
          name: "frontline.snapshot_100k_ms",
          value: Math.round(snapshotMs),
          unit: "ms",
          baseline: `agent start → HAProxy serving ${SNAPSHOT_HOSTNAMES} hostnames of ${SNAPSHOT_DEPLOYMENTS} deployments in ${SNAPSHOT_ENVIRONMENTS} environments (goal < 5,000); ${snapshotPhases}`,
        },
        {
          name: "frontline.agent_rss_mb",
          value: round(agentRss, 1),
          unit: "MB",
          baseline: `agent peak RSS (VmHWM) with ${SNAPSHOT_HOSTNAMES} hostnames (goal < 128)`,
        },
      ];
    } finally {
      load?.stop();
      await frontline?.stop();
      await killHaproxy(stateDir);
      await Promise.all(processes.map((p) => p.stop()));
      await rm(stateDir, { recursive: true, force: true });
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  },
};
