import { findActiveRuns } from "../../sql/findActiveRuns";
import type { DeployDeps, DeploySettings } from "../deps";

/** What starting and cancelling standby timers needs of the workflows' dependencies. */
export type StandbyTimerDeps = Pick<DeployDeps, "pool" | "engine"> & {
  settings: Pick<DeploySettings, "standbyDelayMs">;
};

export const STANDBY_KIND = "standby";

export interface StandbyInput {
  deploymentId: string;
  delayMs: number;
  /** The deployment that replaced it (for the record). */
  replacedBy: string;
}

/**
 * Starts the standby timer of `deploymentId` unless it has one pending (exclusive: a switch's
 * schedule-standby and a refused switch's restore may arm it at the same moment). The run id
 * names the deployment and the run that scheduled it: a replayed step finds its own timer, and
 * a later replacement (a promote after a rollback) schedules a new one once the earlier timer has
 * ended or been cancelled. Returns the id of the timer that is pending (this one or the earlier).
 */
export async function scheduleStandby(
  deps: StandbyTimerDeps,
  deploymentId: string,
  replacedBy: string,
  scheduledBy: string,
): Promise<string> {
  const runId = `standby:${deploymentId}:${scheduledBy}`;
  const started = await deps.engine.startRun<StandbyInput>({
    kind: STANDBY_KIND,
    id: runId,
    key: deploymentId,
    input: { deploymentId, delayMs: deps.settings.standbyDelayMs, replacedBy },
    exclusive: true,
  });
  return started.id;
}

/** Cancels any pending standby of a deployment that is (again) live. */
export async function cancelStandby(deps: StandbyTimerDeps, deploymentId: string): Promise<string[]> {
  const runs = await findActiveRuns(deps.pool, STANDBY_KIND, deploymentId);
  await Promise.all(runs.map((run) => deps.engine.cancel(run, `deployment ${deploymentId} is live again`)));
  return runs;
}
