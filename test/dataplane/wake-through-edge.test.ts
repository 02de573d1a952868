// Wake on request through the edge (issue 11): a request for a deployment on standby, sent to
// frontline like any client's (HAProxy → the environment's nginx sentinel → deploy-svc's
// activator → a durable wake run), is answered by that deployment once it is ready; concurrent
// requests share one wake; when the wake outlasts HYDRA_WAKE_WAIT the request gets 503 with
// Retry-After while the wake goes on. Every part is its own process. Needs nginx and haproxy.
import { nginxAvailable } from "@hydra/cluster";
import { expectedDomains, randomSha, type Hydra, type ProjectInfo, waitFor } from "../deploy/support/harness";
import { type EdgeStack, startEdgeStack } from "./support/edge-stack";
import { eventually } from "./support/processes";

const describeWake = nginxAvailable() ? describe : describe.skip;
if (!nginxAvailable())
  console.warn("wake-through-edge tests skipped: nginx is not installed (apt-get install -y nginx)");

describeWake("wake on request through frontline", () => {
  let stack: EdgeStack;
  let h: Hydra;
  let project: ProjectInfo;
  let standbyId: string;
  let liveId: string;
  let standbyCommitHost: string;
  let liveHost: string;

  /** Completed standby runs that scaled the deployment to zero. */
  const scaledDownRuns = async (deploymentId: string) => {
    const { rows } = await h.pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM workflow_runs WHERE kind = 'standby' AND key = $1 AND status = 'completed' AND output->>'scaledDown' = 'true'",
      [deploymentId],
    );
    return Number(rows[0]!.n);
  };
  const wakeRuns = async (deploymentId: string) =>
    (
      await h.pool.query<{ status: string }>(
        "SELECT status::text AS status FROM workflow_runs WHERE kind = 'wake' AND key = $1 ORDER BY created_at",
        [deploymentId],
      )
    ).rows.map((r) => r.status);
  /** Waits until the deployment's `n`th standby run has scaled it to zero (not only marked it). */
  const onStandby = (deploymentId: string, n: number) =>
    waitFor(
      `${deploymentId} scaled to zero by standby run ${n}`,
      async () => ((await scaledDownRuns(deploymentId)) >= n ? true : undefined),
      60_000,
    );

  beforeAll(async () => {
    // A replaced deployment goes to standby 1 s later (and again 1 s after a wake).
    stack = await startEdgeStack({ label: "wake_through_edge", deployEnv: { HYDRA_STANDBY_DELAY: "1s" } });
    h = stack.h;
    project = await h.createProject({ regions: { local: 1 } });
    const sha = randomSha();
    standbyId = await h.deployReady(project, { sha, branch: "wake" });
    liveId = await h.deployReady(project, { branch: "wake" }); // takes live, environment and branch: the first goes to standby
    const domains = expectedDomains(project, { sha, branch: "wake", environment: "production" });
    standbyCommitHost = domains.commit;
    liveHost = domains.live;
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it("concurrent requests for a deployment on standby share one wake and are answered by it", async () => {
    await onStandby(standbyId, 1);
    expect(await wakeRuns(standbyId)).toEqual([]);

    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => stack.ask(standbyCommitHost, { path: `/woken/${i}`, timeoutMs: 60_000 })),
    );
    answers.forEach((answer, i) =>
      expect(answer).toMatchObject({
        status: 200,
        deployment: standbyId,
        path: `/woken/${i}`,
        host: standbyCommitHost,
      }),
    );
    expect(await wakeRuns(standbyId)).toEqual(["completed"]);
  }, 120_000);

  it("a wake that outlasts HYDRA_WAKE_WAIT answers 503 with Retry-After; the wake goes on and the deployment answers later", async () => {
    // deploy-svc again, with instances that take 2.5 s to be ready and requests that wait 300 ms.
    await h.deploySvc.stop();
    await h.startDeploy({ HYDRA_SIMULATED_READY_MS: "2500", HYDRA_WAKE_WAIT: "300ms" });
    await onStandby(standbyId, 2); // the wake armed the standby timer again
    // The path itself is up again (the restarted deploy-svc runs the sentinels and instances again).
    await eventually(
      "the live deployment to answer through the edge",
      () => stack.ask(liveHost),
      (answer) => answer.status === 200 && answer.deployment === liveId,
      60_000,
    );

    const first = await stack.ask(standbyCommitHost, { timeoutMs: 60_000 });
    expect(first).toMatchObject({ status: 503, retryAfter: "5" });
    expect(first.body).toContain("waking up");

    const woken = await eventually(
      "the woken deployment to answer through the edge",
      () => stack.ask(standbyCommitHost),
      (answer) => answer.status === 200,
      60_000,
    );
    expect(woken).toMatchObject({ deployment: standbyId, host: standbyCommitHost });
    // The wake the 503 left behind completed (requests the sentinel still sends to the activator
    // once it is up may each start one more, which completes at once).
    const runs = await wakeRuns(standbyId);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((status) => status === "completed")).toBe(true);
  }, 180_000);
});
