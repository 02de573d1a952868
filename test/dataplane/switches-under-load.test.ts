// Zero failed requests under load (issue 11): wrk sends a steady load through the real edge
// (frontline's HAProxy → the environment's nginx sentinel → the instance, every part its own
// process) for the whole run, while 20 deploys and 100 Rollback/Promote pairs go through
// deploy-svc. wrk must see no non-2xx answer and no socket error; after each switch's call
// returned (committed), probes wait until the edge answers from the new target and from then on
// every probe must come from it. Needs nginx, haproxy and wrk.
import { spawnSync } from "node:child_process";
import { nginxAvailable } from "@hydra/cluster";
import { expectedDomains, randomSha, type Hydra, type ProjectInfo } from "../deploy/support/harness";
import { type EdgeStack, type InstanceAnswer, startEdgeStack } from "./support/edge-stack";
import { awaitEdgeTarget, type EdgeResponse, eventually } from "./support/processes";
import { startWrk, type WrkRun } from "./support/wrk";

const DEPLOYS = 20;
const PAIRS_PER_DEPLOY = 5; // 20 × 5 = 100 Rollback/Promote pairs
/** Probes per switched hostname once the edge follows the switch: each must come from the target. */
const CONFIRMATIONS = 3;
/** The steady load: wrk's connections and its total rate (a fixed delay per connection). */
const LOAD = { connections: 4, ratePerSecond: 200 };

const wrkAvailable = spawnSync("wrk", ["--version"], { stdio: "ignore" }).error === undefined;
const runnable = nginxAvailable() && wrkAvailable;
if (!runnable) console.warn("switches-under-load skipped: needs nginx and wrk (apt-get install -y nginx wrk)");

(runnable ? describe : describe.skip)("switches under a steady load through the edge", () => {
  let stack: EdgeStack;
  let h: Hydra;
  let project: ProjectInfo;
  let load: WrkRun | undefined;

  beforeAll(async () => {
    // Replaced deployments stay warm for the whole run: every Rollback target answers at once.
    stack = await startEdgeStack({ label: "switches_under_load", deployEnv: { HYDRA_STANDBY_DELAY: "1h" } });
    h = stack.h;
    project = await h.createProject({ regions: { local: 1 } });
  }, 90_000);

  afterAll(async () => {
    load?.stop();
    await load?.result.catch(() => undefined);
    await stack?.close();
  });

  it("20 deploys and 100 rollback/promote pairs: no failed request, and after each switch only the new target answers", async () => {
    const first = randomSha();
    const domains = (sha: string) => expectedDomains(project, { sha, branch: "main", environment: "production" });
    const { live, environment, commit } = domains(first);
    const switched = [live, environment];
    const deployments = [await h.deployReady(project, { sha: first })];
    for (const host of [...switched, commit]) {
      await eventually(
        `${host} answered by the first deployment`,
        () => stack.ask(host),
        (answer) => answer.status === 200 && answer.deployment === deployments[0],
        30_000,
      );
    }

    // The load runs until stopped; its hosts move with every switch except the first commit's.
    load = startWrk(stack.edgeUrl, [...switched, commit], { seconds: 3_600, ...LOAD }, stack.scratchDir);
    const failedProbes: Array<{ step: string; host: string; response: EdgeResponse }> = [];
    const strayAnswers: Array<{ step: string; host: string; expected: string; answer: InstanceAnswer }> = [];
    let switches = 0;
    /** After a committed switch: the edge follows it, then answers only from the target. */
    const expectServedBy = async (step: string, target: string) => {
      switches++;
      for (const host of switched) {
        const reached = await awaitEdgeTarget(stack.edgeUrl, host, (r) => r.deployment === target, 30_000);
        for (const response of reached.failed) failedProbes.push({ step, host, response });
      }
      for (let i = 0; i < CONFIRMATIONS; i++) {
        for (const host of switched) {
          const answer = await stack.ask(host);
          if (answer.status !== 200 || answer.deployment !== target)
            strayAnswers.push({ step, host, expected: target, answer });
        }
      }
    };

    for (let k = 1; k <= DEPLOYS; k++) {
      const previous = deployments[k - 1]!;
      const current = await h.deployReady(project, { sha: randomSha() });
      deployments.push(current);
      await expectServedBy(`deploy ${k}`, current);
      for (let pair = 1; pair <= PAIRS_PER_DEPLOY; pair++) {
        await h.deploys.rollback({ sourceDeploymentId: current, targetDeploymentId: previous });
        await expectServedBy(`deploy ${k} rollback ${pair}`, previous);
        await h.deploys.promote({ targetDeploymentId: current });
        await expectServedBy(`deploy ${k} promote ${pair}`, current);
      }
    }
    const stableCommit = await stack.ask(commit);

    load.stop();
    const result = await load.result;
    load = undefined;
    expect(switches).toBe(DEPLOYS * (1 + 2 * PAIRS_PER_DEPLOY));
    expect(failedProbes).toEqual([]);
    expect(strayAnswers).toEqual([]);
    expect(stableCommit).toMatchObject({ status: 200, deployment: deployments[0] });
    expect(result).toMatchObject({ non2xx: 0, socketErrors: 0 }); // a failure prints wrk's report
    // The load really ran across the switches (at least a request per switch; far more in practice).
    expect(result.requests).toBeGreaterThan(switches);
    expect(await h.invariantViolations(project.projectId)).toEqual([]);
  }, 600_000);
});
