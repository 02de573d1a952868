import { findDesiredState } from "../../sql/findDesiredState";
import { findProjectLive } from "../../sql/findProjectLive";
import { isCancelRequested } from "../../sql/isCancelRequested";
import { setDesiredState } from "../../sql/setDesiredState";
import { withDeploymentLock } from "../../sql/withDeploymentLock";
import type { DeployDeps } from "../deps";
import { scaleDown } from "./scaleDown";

/** Step `scale-down` of a standby run: the deployment goes to 0 replicas unless it is live. */
export function scaleToStandby(deps: DeployDeps, runId: string, deploymentId: string): Promise<{ scaledDown: boolean }> {
  return withDeploymentLock(deps.pool, deploymentId, async () => {
    // Under the lock: a rollback or promote to this deployment cancels this run before it
    // wakes the deployment, so a cancel seen here means "keep it running".
    if (await isCancelRequested(deps.pool, runId)) return { scaledDown: false };
    const state = await findDesiredState(deps.pool, deploymentId);
    const live = state ? await findProjectLive(deps.pool, state.projectId) : null;
    if (!state || live?.liveDeploymentId === deploymentId) return { scaledDown: false };
    await setDesiredState(deps.pool, deploymentId, "standby");
    await scaleDown(deps, deploymentId, "standby");
    return { scaledDown: true };
  });
}
