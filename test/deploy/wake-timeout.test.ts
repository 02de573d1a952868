// Wake on request with a bounded wait: a deployment that takes longer to wake than
// HYDRA_WAKE_WAIT gets 503 + Retry-After, while the durable wake goes on and a later request
// is answered by it. Real processes: deploy-svc, routing-svc, nginx sentinels. Needs nginx.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { nginxAvailable } from "@hydra/cluster";
import { askSentinel } from "@hydra/cluster/testing";
import { Hydra, randomSha, waitFor } from "./support/harness";

const describeServing = nginxAvailable() ? describe : describe.skip;
if (!nginxAvailable()) console.warn("wake tests skipped: nginx is not installed (apt-get install -y nginx)");

describeServing("wake on request with a bounded wait", () => {
  let h: Hydra;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "hydra-wake-"));
    h = await Hydra.start({
      label: "wake_timeout",
      deployEnv: {
        HYDRA_SIMULATED_SERVE: "true",
        HYDRA_SIMULATED_STATE: path.join(dir, "cluster.json"),
        HYDRA_SIMULATED_READY_MS: "2500",
        HYDRA_WAKE_WAIT: "300ms",
        HYDRA_STANDBY_DELAY: "1s",
      },
    });
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers 503 with Retry-After when the wake outlasts the wait, and the woken deployment answers afterwards", async () => {
    const project = await h.createProject();
    const older = await h.deployReady(project, { sha: randomSha(), branch: "slow" });
    await h.deployReady(project, { branch: "slow" });
    await waitFor(
      "the older deployment to be on standby",
      async () => ((await h.deployment(older)).desired_state === "standby" ? true : undefined),
      30_000,
    );
    const { rows } = await h.pool.query<{
      hostname: string;
      config: { sentinels: Array<{ externalAddress: string }> };
    }>("SELECT hostname, config FROM gateway_configs WHERE deployment_id = $1 ORDER BY hostname LIMIT 1", [older]);
    const { hostname, config } = rows[0]!;
    const address = config.sentinels[0]!.externalAddress;

    const first = await askSentinel(address, { host: hostname, deploymentId: older });
    expect(first).toMatchObject({ status: 503, retryAfter: "5" });
    expect(first.body).toContain("waking up");

    // The wake goes on without the request: later ones are answered by the deployment.
    const woken = await waitFor(
      "the woken deployment to answer",
      async () => {
        const answer = await askSentinel(address, { host: hostname, deploymentId: older });
        return answer.status === 200 ? answer : undefined;
      },
      20_000,
    );
    expect(JSON.parse(woken.body)).toMatchObject({ deployment: older, host: hostname });
    const wakes = await h.pool.query<{ status: string }>(
      "SELECT status FROM workflow_runs WHERE kind = 'wake' AND key = $1",
      [older],
    );
    expect(wakes.rows.map((r) => r.status)).toContain("completed");
  });
});
