// Cancel, supersede and WatchDeployment through deploy-svc (simulated cluster). The build step
// is slowed down (HYDRA_TEST_STEP_DELAY) so there is time to cancel or supersede during it.
import { Code, ConnectError } from "@connectrpc/connect";
import type { DeploymentEvent } from "@hydra/proto/ctrl/v1";
import { DeploymentStatus } from "@hydra/proto/hydra/v1";
import { DEPLOY_STEPS } from "../../packages/deploy/src/workflows/deploy";
import { Hydra, isStepLine, waitFor, type ProjectInfo } from "./support/harness";

let h: Hydra;

beforeAll(async () => {
  h = await Hydra.start({
    label: "deploy_lifecycle",
    deployEnv: { HYDRA_TEST_STEP_DELAY: "build=1500", HYDRA_STANDBY_DELAY: "1h" },
  });
}, 60_000);

afterAll(async () => h?.close());

async function nothingRouted(project: ProjectInfo, deploymentId: string): Promise<void> {
  expect(
    await h.pool.query("SELECT name FROM domains WHERE deployment_id = $1", [deploymentId]).then((r) => r.rows),
  ).toEqual([]);
  expect(
    await h.pool
      .query("SELECT hostname FROM gateway_configs WHERE deployment_id = $1", [deploymentId])
      .then((r) => r.rows),
  ).toEqual([]);
  expect(
    await h.pool
      .query("SELECT id FROM routing_operations WHERE idempotency_key = $1", [`assign:${deploymentId}`])
      .then((r) => r.rows),
  ).toEqual([]);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
}

async function watchAll(deploymentId: string, afterEventId = ""): Promise<DeploymentEvent[]> {
  const events: DeploymentEvent[] = [];
  for await (const event of h.deployments.watchDeployment(
    { deploymentId, afterEventId },
    { signal: AbortSignal.timeout(20_000) },
  ))
    events.push(event);
  return events;
}

it("cancel during build → CANCELLED, nothing routed, the live deployment untouched", async () => {
  const project = await h.createProject();
  const live = await h.deployReady(project);
  const id = await h.deploy(project);
  await h.deploySvc.waitForLine(isStepLine(id, "build", "started"));
  const { deployment } = await h.deployments.cancelDeployment({ deploymentId: id, reason: "wrong commit" });
  expect({ status: deployment?.status, reason: deployment?.failureReason }).toEqual({
    status: DeploymentStatus.CANCELLED,
    reason: "wrong commit",
  });
  expect((await h.waitForRunEnd(`deploy:${id}`)).status).toBe("cancelled");
  const steps = await h.steps(`deploy:${id}`);
  expect(steps.filter((s) => s.status === "completed" && !s.name.startsWith("$")).map((s) => s.name)).toEqual([
    "load-metadata",
  ]);
  await nothingRouted(project, id);
  expect(await h.projectRow(project.projectId)).toMatchObject({ live_deployment_id: live, is_rolled_back: false });
  // A second cancel is refused: it is terminal.
  await expect(h.deployments.cancelDeployment({ deploymentId: id })).rejects.toMatchObject({
    code: Code.FailedPrecondition,
  });
});

it("a newer deployment of the same environment and branch supersedes an older one that has not reached routing", async () => {
  const project = await h.createProject();
  const older = await h.deploy(project, { branch: "main" });
  const otherBranch = await h.deploy(project, { branch: "feature" });
  await h.deploySvc.waitForLine(isStepLine(older, "build", "started"));
  const newer = await h.deploy(project, { branch: "main" });

  const row = await h.waitForStatus(older, ["superseded", "cancelled", "failed", "ready"]);
  expect(row.status).toBe("superseded");
  expect(row.failure_reason).toContain(newer);
  await nothingRouted(project, older);

  // The newer one and the other branch's deployment are not affected.
  await h.waitForStatus(newer, ["ready", "failed", "cancelled", "superseded"]);
  await h.waitForStatus(otherBranch, ["ready", "failed", "cancelled", "superseded"]);
  expect((await h.deployment(newer)).status).toBe("ready");
  expect((await h.deployment(otherBranch)).status).toBe("ready");
  await h.waitForRunEnd(`deploy:${newer}`);
  await h.waitForRunEnd(`deploy:${otherBranch}`);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});

describe("WatchDeployment", () => {
  let project: ProjectInfo;
  let id: string;
  let events: DeploymentEvent[];

  beforeAll(async () => {
    project = await h.createProject();
    id = await h.deploy(project);
    events = await watchAll(id); // from the start, while it runs; ends when it is terminal
  });

  it("streams step and status events in order and ends when the deployment is terminal", async () => {
    expect((await h.deployment(id)).status).toBe("ready");
    const eventIds = events.map((e) => BigInt(e.eventId));
    expect(eventIds).toEqual([...eventIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(new Set(eventIds).size).toBe(eventIds.length);
    for (const e of events) expect(e.deploymentId).toBe(id);

    // Every step's started and completed event, with each status change inside the step that
    // made it, in exactly this order (the engine awaits the event writes).
    const sequence = events.flatMap((e) =>
      e.event.case === "step"
        ? [`${e.event.value.name}:${e.event.value.state}`]
        : e.event.case === "status"
          ? [`status:${DeploymentStatus[e.event.value.status]}`]
          : [],
    );
    const statusInStep: Record<string, string> = {
      deploying: "status:DEPLOYING",
      "assign-routes": "status:NETWORK",
      ready: "status:READY",
    };
    const expected = DEPLOY_STEPS.flatMap((s) => [
      `${s}:started`,
      ...(statusInStep[s] ? [statusInStep[s]!] : []),
      `${s}:completed`,
    ]);
    expect(sequence).toEqual(expected);
  });

  it("resumes after an event id with exactly the later events", async () => {
    // Every event written (26 step events and 3 status events), then the whole stream again.
    await waitFor(
      "all events of the deployment",
      async () => {
        const { rows } = await h.pool.query<{ count: number }>(
          "SELECT count(*)::int AS count FROM deployment_events WHERE deployment_id = $1",
          [id],
        );
        return rows[0]!.count >= 2 * DEPLOY_STEPS.length + 3 ? true : undefined;
      },
      10_000,
    );
    const all = await watchAll(id);
    expect(all.map((e) => e.eventId).slice(0, events.length)).toEqual(events.map((e) => e.eventId));
    const middle = Math.floor(all.length / 2);
    const resumed = await watchAll(id, all[middle]!.eventId);
    expect(resumed.map((e) => e.eventId)).toEqual(all.slice(middle + 1).map((e) => e.eventId));
    expect(await watchAll(id, all[all.length - 1]!.eventId)).toEqual([]);
  });

  it.each([
    ["a malformed after_event_id", () => watchAll(id, "abc"), Code.InvalidArgument],
    ["an unknown deployment", () => watchAll("dep_01h455vb4pex5vsknk084sn02q"), Code.NotFound],
    ["a malformed deployment id", () => watchAll("nope"), Code.InvalidArgument],
  ])("refuses %s", async (_what, call, code) => {
    const error = await call().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect(Code[(error as ConnectError).code]).toBe(Code[code]);
  });
});

it("SIGTERM during a deploy hands the run back (or finishes it); the next deploy-svc completes it", async () => {
  const project = await h.createProject();
  const id = await h.deploy(project);
  await h.deploySvc.waitForLine(isStepLine(id, "build", "started"));
  expect(await h.deploySvc.stop("SIGTERM")).toBe(0);
  const { rows } = await h.pool.query<{ status: string; owner: string | null; live_lease: boolean }>(
    "SELECT status::text AS status, owner, coalesce(lease_expires_at > now(), false) AS live_lease FROM workflow_runs WHERE id = $1",
    [`deploy:${id}`],
  );
  // Not left running under the stopped worker's lease.
  expect(rows[0]!.status === "completed" || (rows[0]!.status === "pending" && !rows[0]!.live_lease)).toBe(true);
  await h.startDeploy();
  expect((await h.waitForStatus(id, ["ready", "failed", "cancelled"])).status).toBe("ready");
  expect((await h.waitForRunEnd(`deploy:${id}`)).status).toBe("completed");
});
