import { runReason } from "../../lifecycle";
import { findDesiredState } from "../../sql/findDesiredState";
import { isCancelRequested } from "../../sql/isCancelRequested";
import { listLifecycleFacts } from "../../sql/listLifecycleFacts";
import { setDesiredState } from "../../sql/setDesiredState";
import { withDeploymentLock } from "../../sql/withDeploymentLock";
import type { DeployDeps } from "../deps";
import { scaleDown } from "./scaleDown";

/**
 * Step `scale-down` of a standby run: the deployment goes to 0 replicas unless the lifecycle
 * rule keeps it running (live, behind a LIVE, BRANCH or ENVIRONMENT domain, or a switch's target).
 */
export function scaleToStandby(
  deps: DeployDeps,
  runId: string,
  deploymentId: string,
): Promise<{ scaledDown: boolean }> {
  return withDeploymentLock(deps.pool, deploymentId, async () => {
    // Under the lock: a rollback or promote to this deployment cancels this run before it
    // wakes the deployment, so a cancel seen here means "a switch is moving to it".
    const switchTarget = await isCancelRequested(deps.pool, runId);
    const state = await findDesiredState(deps.pool, deploymentId);
    if (!state) return { scaledDown: false };
    const [facts] = await listLifecycleFacts(deps.pool, { projectId: state.projectId, deploymentId });
    if (!facts || runReason({ ...facts, switchTarget }) !== null) return { scaledDown: false };
    await setDesiredState(deps.pool, deploymentId, "standby");
    await scaleDown(deps, deploymentId, "standby");
    return { scaledDown: true };
  });
}
