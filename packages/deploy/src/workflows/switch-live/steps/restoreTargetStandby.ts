import { findProjectLive } from "../../../sql/findProjectLive";
import type { DeployDeps } from "../../deps";
import { scheduleStandby } from "../../standby";

/**
 * Compensation `restore-target-standby`: a switch that does not happen (lost a race, target not
 * wakeable) leaves the target as it was: not live, so the standby cancelled before waking it
 * is scheduled again rather than lost.
 */
export async function restoreTargetStandby(deps: DeployDeps, runId: string, targetId: string, projectId: string, cancelled: string[]): Promise<{ runId: string } | null> {
  if (cancelled.length === 0) return null;
  const live = await findProjectLive(deps.pool, projectId);
  if (live?.liveDeploymentId === targetId) return null;
  return { runId: await scheduleStandby(deps, targetId, live?.liveDeploymentId ?? "", runId) };
}
