// deploy-svc on the simulated cluster with serving on (what `pnpm start` runs): the Deploy
// workflow's gateway config names each region's sentinel with its local address, and a request
// sent there the way the frontline sends it reaches the deployment's instance. Needs nginx.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { nginxAvailable } from "@hydra/cluster";
import { askSentinel } from "@hydra/cluster/testing";
import { Hydra, randomSha, waitFor, type ProjectInfo } from "./support/harness";

interface SentinelTarget {
  region: string;
  serviceHost: string;
  servicePort: number;
  externalAddress: string;
}

const describeServing = nginxAvailable() ? describe : describe.skip;
if (!nginxAvailable()) console.warn("serving tests skipped: nginx is not installed (apt-get install -y nginx)");

describeServing("deploy-svc on a local cluster that serves", () => {
  let h: Hydra;
  let dir: string;
  let project: ProjectInfo;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "hydra-serving-"));
    h = await Hydra.start({
      label: "serving",
      deployEnv: {
        HYDRA_SIMULATED_SERVE: "true",
        HYDRA_SIMULATED_REGIONS: "local,eu-west",
        HYDRA_SIMULATED_STATE: path.join(dir, "cluster.json"),
        HYDRA_STANDBY_DELAY: "1s",
      },
    });
    project = await h.createProject({ regions: { local: 2, "eu-west": 1 } });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a deployed image answers through its environment's sentinel in every region, by the gateway config's addresses", async () => {
    const id = await h.deployReady(project, { image: "nginx:1.27" });
    const { rows } = await h.pool.query<{
      hostname: string;
      config: { deploymentId: string; sentinels: SentinelTarget[] };
    }>("SELECT hostname, config FROM gateway_configs WHERE deployment_id = $1 ORDER BY hostname", [id]);
    expect(rows.length).toBeGreaterThan(0);
    const { sentinels } = rows[0]!.config;
    expect(sentinels.map((s) => s.region)).toEqual(["eu-west", "local"]);
    for (const sentinel of sentinels) {
      expect(sentinel.externalAddress).toMatch(/^127\.\d+\.\d+\.\d+:\d+$/);
      const answer = await askSentinel(sentinel.externalAddress, { host: rows[0]!.hostname, deploymentId: id });
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({
        deployment: id,
        region: sentinel.region,
        image: "nginx:1.27",
        path: "/",
        host: rows[0]!.hostname,
      });
    }
  });

  it("a request for a deployment on standby wakes it once (concurrent requests share the wake) and is answered by it", async () => {
    const sha = randomSha();
    const older = await h.deployReady(project, { sha, branch: "wake" });
    await h.deployReady(project, { branch: "wake" }); // takes the live domain: the older one goes to standby after 1 s
    await waitFor(
      "the older deployment to be on standby",
      async () => ((await h.deployment(older)).desired_state === "standby" ? true : undefined),
      20_000,
    );
    const { rows } = await h.pool.query<{ hostname: string; config: { sentinels: SentinelTarget[] } }>(
      "SELECT hostname, config FROM gateway_configs WHERE deployment_id = $1 ORDER BY hostname LIMIT 1",
      [older],
    );
    const { hostname, config } = rows[0]!; // its per-commit domain still points at it
    const sentinel = config.sentinels.find((s) => s.region === "local")!;

    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        askSentinel(sentinel.externalAddress, { host: hostname, deploymentId: older, path: "/woken" }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    for (const answer of answers)
      expect(JSON.parse(answer.body)).toMatchObject({ deployment: older, path: "/woken", host: hostname });
    const wakes = await h.pool.query<{ id: string; status: string }>(
      "SELECT id, status FROM workflow_runs WHERE kind = 'wake' AND key = $1",
      [older],
    );
    expect(wakes.rows).toHaveLength(1);
    expect(wakes.rows[0]!.status).toBe("completed");
  });
});
