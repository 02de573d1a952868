import { runReason } from "../../../lifecycle";
import { listLifecycleFacts } from "../../../sql/listLifecycleFacts";
import { setDesiredState } from "../../../sql/setDesiredState";
import { withDeploymentLock } from "../../../sql/withDeploymentLock";
import type { DeployDeps } from "../../deps";
import { armStandbyTimers, scaleDown } from "../../standby";
import type { TargetBefore } from "./cancelTargetStandby";

/**
 * Compensation `restore-target`: a switch that does not happen (refused after waking its
 * target: the expected live moved, it lost a race, the target is not wakeable) leaves no
 * workload scaled differently than before. A target woken from standby goes back to 0; one
 * that was running gets its standby timer again. Unless the rule keeps it running now (the
 * switch did happen, or routing put it behind a domain meanwhile).
 */
export async function restoreTarget(
  deps: DeployDeps,
  runId: string,
  target: { id: string; projectId: string },
  before: TargetBefore,
): Promise<{ restored: "kept" | "standby" | "timer" }> {
  const keep = async () => {
    const [facts] = await listLifecycleFacts(deps.pool, { projectId: target.projectId, deploymentId: target.id });
    return !facts || runReason({ ...facts, switchTarget: false }) !== null;
  };
  if (await keep()) return { restored: "kept" };
  if (before.wasStandby) {
    const scaled = await withDeploymentLock(deps.pool, target.id, async () => {
      if (await keep()) return false;
      await setDesiredState(deps.pool, target.id, "standby");
      await scaleDown(deps, target.id, "standby");
      return true;
    });
    if (scaled) return { restored: "standby" };
  }
  await armStandbyTimers(deps, target.projectId, runId, "");
  return { restored: "timer" };
}
