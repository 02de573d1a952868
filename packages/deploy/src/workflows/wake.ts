import { randomBytes } from "node:crypto";
import { defineWorkflow } from "@hydra/workflow";
import { isTerminalError, type DeployDeps } from "./deps";
import { scheduleStandby, wakeDeployment } from "./standby";

/**
 * Wake on request (SPEC §1, like Knative's activator): a request for a deployment on standby
 * scales it back up, durably — the run survives a restart of deploy-svc — and then it goes back
 * to standby after HYDRA_STANDBY_DELAY unless it became live meanwhile.
 *
 *   wake              wakeDeployment: under the deployment's lock, desired replicas, wait ready
 *   schedule-standby  the standby timer again (a request does not make it live)
 */
export const WAKE_KIND = "wake";

export interface WakeInput {
  deploymentId: string;
  /** The wait for ready instances ends then (recorded, so a resumed run keeps it). */
  deadline: string;
}

export function wakeWorkflow(deps: DeployDeps) {
  return defineWorkflow<WakeInput, { woken: true }>(WAKE_KIND, async (ctx, input) => {
    await ctx.step(
      "wake",
      (s) => wakeDeployment(deps, input.deploymentId, new Date(input.deadline), s.signal).then(() => null),
      {
        isTerminal: isTerminalError,
        timeoutMs: Math.max(1_000, new Date(input.deadline).getTime() - Date.now()) + 30_000,
      },
    );
    await ctx.step("schedule-standby", () => scheduleStandby(deps, input.deploymentId, "request", ctx.runId), {
      isTerminal: isTerminalError,
    });
    return { woken: true };
  });
}

/**
 * The wake run of a deployment: the one under way if there is one (concurrent requests share
 * it, on any deploy-svc instance: the start is exclusive per deployment), else a new one.
 */
export async function requestWake(
  deps: Pick<DeployDeps, "engine">,
  deploymentId: string,
  deadline: Date,
): Promise<string> {
  const started = await deps.engine.startRun<WakeInput>({
    kind: WAKE_KIND,
    id: `wake:${deploymentId}:${Date.now().toString(36)}${randomBytes(3).toString("hex")}`,
    key: deploymentId,
    input: { deploymentId, deadline: deadline.toISOString() },
    exclusive: true,
  });
  return started.id;
}
