import type { WorkloadRef } from "@hydra/cluster";
import { defineWorkflow } from "@hydra/workflow";
import { findActiveRuns } from "../sql/findActiveRuns";
import { findProjectLive } from "../sql/findProjectLive";
import { findDesiredState, isCancelRequested, withDeploymentLock } from "../sql/withDeploymentLock";
import { listTopologyWorkloads, replaceInstances, setDesiredState, setTopology, stopInstances } from "../sql/recordDeploymentFacts";
import { isTerminalError, type DeployDeps } from "./deps";

/**
 * Standby: a deployment that stopped being live keeps its pods for HYDRA_STANDBY_DELAY (so a
 * rollback is instant), then scales to zero. The delay is a durable timer: it survives
 * restarts, and it is cancelled if the deployment becomes live again first.
 */
export const STANDBY_KIND = "standby";

export interface StandbyInput {
  deploymentId: string;
  delayMs: number;
  /** The deployment that replaced it (for the record). */
  replacedBy: string;
}

/** Scales every region's workload of a deployment to zero (missing workloads are fine). */
export async function scaleDown(deps: DeployDeps, deploymentId: string, topologyStatus: "failed" | "standby"): Promise<void> {
  const topologies = await listTopologyWorkloads(deps.pool, deploymentId);
  await Promise.all(
    topologies
      .filter((t) => t.workload !== null)
      .map(async (t) => {
        await deps.cluster.scale(t.region, t.workload as WorkloadRef, 0);
        await setTopology(deps.pool, deploymentId, t.region, topologyStatus);
      }),
  );
  await stopInstances(deps.pool, deploymentId);
}

/**
 * Makes sure a deployment about to become live runs: scales a deployment in standby back to
 * its desired replicas and waits for them (a running one returns at once). Throws
 * `NotWakeableError` when nothing was ever applied for it. Holds the deployment's lock, so a
 * standby timer cannot scale it down meanwhile.
 */
export async function wakeDeployment(deps: DeployDeps, deploymentId: string, deadline: Date, signal: AbortSignal): Promise<void> {
  await withDeploymentLock(deps.pool, deploymentId, async () => {
    const topologies = await listTopologyWorkloads(deps.pool, deploymentId);
    if (topologies.length === 0 || topologies.some((t) => t.workload === null)) {
      throw new NotWakeableError(`deployment ${deploymentId} has no workloads to scale up`);
    }
    const state = await findDesiredState(deps.pool, deploymentId);
    if (state?.desiredState === "running" && topologies.every((t) => t.status === "ready")) return;
    const instances = await Promise.all(
      topologies.map(async (t) => {
        const ref = t.workload as WorkloadRef;
        await deps.cluster.scale(t.region, ref, t.desiredReplicas);
        const ready = await deps.cluster.waitReady(t.region, ref, t.desiredReplicas, { deadline, signal });
        await setTopology(deps.pool, deploymentId, t.region, "ready");
        return ready;
      }),
    );
    await replaceInstances(deps.pool, deploymentId, instances.flat());
    await setDesiredState(deps.pool, deploymentId, "running");
  });
}

export class NotWakeableError extends Error {
  override name = "NotWakeableError";
  readonly transient = false;
}

/**
 * Starts the standby timer of `deploymentId`. The run id names the deployment and the run
 * that scheduled it: a replayed step finds its own timer, and a later replacement (a promote
 * after a rollback) schedules a new one.
 */
export async function scheduleStandby(deps: DeployDeps, deploymentId: string, replacedBy: string, scheduledBy: string): Promise<string> {
  const runId = `standby:${deploymentId}:${scheduledBy}`;
  await deps.engine.startRun<StandbyInput>({
    kind: STANDBY_KIND,
    id: runId,
    key: deploymentId,
    input: { deploymentId, delayMs: deps.settings.standbyDelayMs, replacedBy },
  });
  return runId;
}

/** Cancels any pending standby of a deployment that is (again) live. */
export async function cancelStandby(deps: DeployDeps, deploymentId: string): Promise<string[]> {
  const runs = await findActiveRuns(deps.pool, STANDBY_KIND, deploymentId);
  await Promise.all(runs.map((run) => deps.engine.cancel(run, `deployment ${deploymentId} is live again`)));
  return runs;
}

export function standbyWorkflow(deps: DeployDeps) {
  return defineWorkflow<StandbyInput, { scaledDown: boolean }>(STANDBY_KIND, async (ctx, input) => {
    await ctx.sleep("standby-delay", input.delayMs);
    return ctx.step(
      "scale-down",
      () =>
        withDeploymentLock(deps.pool, input.deploymentId, async () => {
          // Under the lock: a rollback or promote to this deployment cancels this run before it
          // wakes the deployment, so a cancel seen here means "keep it running".
          if (await isCancelRequested(deps.pool, ctx.runId)) return { scaledDown: false };
          const state = await findDesiredState(deps.pool, input.deploymentId);
          const live = state ? await findProjectLive(deps.pool, state.projectId) : null;
          if (!state || live?.liveDeploymentId === input.deploymentId) return { scaledDown: false };
          await setDesiredState(deps.pool, input.deploymentId, "standby");
          await scaleDown(deps, input.deploymentId, "standby");
          return { scaledDown: true };
        }),
      { isTerminal: isTerminalError },
    );
  });
}
