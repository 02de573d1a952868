import { findDesiredState } from "../../../sql/findDesiredState";
import type { DeployDeps } from "../../deps";
import { cancelStandby } from "../../standby";

export interface TargetBefore {
  /** The standby timers of the target that were cancelled. */
  cancelled: string[];
  /** The target was scaled to 0 (in standby) before the switch woke it. */
  wasStandby: boolean;
}

/**
 * Step `cancel-target-standby`: first, so a standby timer cannot scale the target down while
 * it is being woken; records how the target was, so a switch that does not happen restores it.
 */
export async function cancelTargetStandby(deps: DeployDeps, targetId: string): Promise<TargetBefore> {
  const cancelled = await cancelStandby(deps, targetId);
  return { cancelled, wasStandby: (await findDesiredState(deps.pool, targetId))?.desiredState === "standby" };
}
