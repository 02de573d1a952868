// The whole request path with every part real: client → frontline (HAProxy driven by the
// frontline agent from routing-svc's WatchRoutes) → the environment's sentinel (nginx run by
// deploy-svc's simulated cluster, HYDRA_SIMULATED_SERVE=true) → the deployment's instance (a
// local HTTP server answering with who it is). Deploy, Rollback and Promote go through
// deploy-svc; every answer is checked by what the instance says it is. Needs nginx and haproxy.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { nginxAvailable } from "@hydra/cluster";
import { stopOrphanNginx } from "../../packages/cluster/src/local/nginx";
import { freePort } from "../../packages/routing/src/testing";
import { APEX, expectedDomains, Hydra, randomSha, type ProjectInfo } from "../deploy/support/harness";
import { type ServiceProcess, startService } from "../support/service-process";
import { edgeGet, eventually } from "./support/processes";

interface InstanceAnswer {
  status: number;
  deployment?: string;
  instance?: string;
  region?: string;
  host?: string;
  /** The edge's own answer when no instance answered. */
  body?: string;
}

const describePath = nginxAvailable() ? describe : describe.skip;
if (!nginxAvailable()) console.warn("request-path tests skipped: nginx is not installed (apt-get install -y nginx)");

describePath("a request through frontline, the sentinel and the instance", () => {
  let h: Hydra;
  let dir: string;
  let stateDir: string;
  let edgeUrl: string;
  let frontline: ServiceProcess | undefined;
  let project: ProjectInfo;
  const sha = { a: randomSha(), b: randomSha() };
  const ids = { a: "", b: "" };
  const domainsOf = (s: string) => expectedDomains(project, { sha: s, branch: "main", environment: "production" });

  /** One request through the edge; the instance's JSON identity when one answered. */
  async function ask(host: string): Promise<InstanceAnswer> {
    const response = await edgeGet(edgeUrl, host, {}, 10_000);
    if (response.status !== 200) return { status: response.status, body: response.body };
    return { status: 200, ...(JSON.parse(response.body) as Omit<InstanceAnswer, "status">) };
  }
  const answeredBy = (host: string, deploymentId: string) =>
    eventually(
      `${host} answered by ${deploymentId}`,
      () => ask(host),
      (r) => r.status === 200 && r.deployment === deploymentId,
      30_000,
    );

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "hydra-request-path-"));
    stateDir = mkdtempSync(path.join(tmpdir(), "hydra-request-path-frontline-"));
    h = await Hydra.start({
      label: "request_path",
      deployEnv: {
        HYDRA_SIMULATED_SERVE: "true",
        HYDRA_SIMULATED_REGIONS: "local",
        HYDRA_SIMULATED_STATE: path.join(dir, "cluster.json"),
        HYDRA_STANDBY_DELAY: "1h",
      },
    });
    const edgePort = await freePort();
    frontline = await startService("frontline", {
      env: {
        ROUTING_SVC_URL: h.routingSvc.url,
        HYDRA_REGION: "local",
        HYDRA_DEFAULT_DOMAIN: APEX,
        HYDRA_FRONTLINE_ADDR: `127.0.0.1:${edgePort}`,
        HYDRA_FRONTLINE_STATE_DIR: stateDir,
      },
    });
    edgeUrl = `http://127.0.0.1:${edgePort}`;
    project = await h.createProject({ regions: { local: 1 } });
  }, 90_000);

  afterAll(async () => {
    await frontline?.stop();
    const haproxyPid = Number(readFileOr(path.join(stateDir, "haproxy.pid")).trim());
    if (haproxyPid > 0) killQuietly(haproxyPid);
    await h?.close();
    // deploy-svc stops its sentinels on a clean exit; an nginx it left behind is killed by its pid file.
    for (const sentinelDir of sentinelDirs(path.join(dir, "cluster.json.d", "sentinels"))) stopOrphanNginx(sentinelDir);
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("the live domain answers from the deployed instance; an unknown hostname gets 404", async () => {
    ids.a = await h.deployReady(project, { sha: sha.a });
    const a = domainsOf(sha.a);
    const answer = await answeredBy(a.live, ids.a);
    expect(answer).toMatchObject({ status: 200, deployment: ids.a, region: "local", host: a.live });
    expect(answer.instance).toEqual(expect.any(String));
    for (const name of [a.environment, a.branch, a.commit]) await answeredBy(name, ids.a);
    expect(await ask(`nobody-${project.projectSlug}.${APEX}`)).toEqual({
      status: 404,
      body: "hydra: no deployment is routed for this hostname",
    });
  }, 90_000);

  it("a second deploy takes the live and environment domains; the first commit's domain still answers from it", async () => {
    ids.b = await h.deployReady(project, { sha: sha.b });
    const a = domainsOf(sha.a);
    const b = domainsOf(sha.b);
    await answeredBy(b.live, ids.b);
    await answeredBy(b.environment, ids.b);
    const fromB = await answeredBy(b.commit, ids.b);
    const fromA = await ask(a.commit);
    expect(fromA).toMatchObject({ status: 200, deployment: ids.a, host: a.commit });
    expect(fromA.instance).not.toEqual(fromB.instance);
  }, 90_000);

  it("rollback sends the live domain back to the first deployment; promote brings it to the second", async () => {
    const { live, environment } = domainsOf(sha.a);
    await h.deploys.rollback({ sourceDeploymentId: ids.b, targetDeploymentId: ids.a });
    await answeredBy(live, ids.a);
    await answeredBy(environment, ids.a);
    expect(await ask(domainsOf(sha.b).commit)).toMatchObject({ status: 200, deployment: ids.b });
    await h.deploys.promote({ targetDeploymentId: ids.b });
    await answeredBy(live, ids.b);
    await answeredBy(environment, ids.b);
    expect(await ask(domainsOf(sha.a).commit)).toMatchObject({ status: 200, deployment: ids.a });
  }, 90_000);

  it("with routing-svc and the frontline agent killed, HAProxy keeps serving the last routes", async () => {
    await Promise.all([frontline!.stop("SIGKILL"), h.routingSvc.stop("SIGKILL")]);
    frontline = undefined;
    const b = domainsOf(sha.b);
    for (let i = 0; i < 10; i++) {
      expect(await ask(b.live)).toMatchObject({ status: 200, deployment: ids.b });
      expect(await ask(domainsOf(sha.a).commit)).toMatchObject({ status: 200, deployment: ids.a });
    }
  }, 60_000);
});

function readFileOr(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** sentinels/<region>/<environment>: every directory a local sentinel ran in. */
function sentinelDirs(root: string): string[] {
  const list = (d: string) => {
    try {
      return readdirSync(d).map((entry) => path.join(d, entry));
    } catch {
      return [];
    }
  };
  return list(root).flatMap(list);
}
