import { cancelStandby, scheduleStandby } from "../../standby";
import type { DeployScope } from "../scope";
import type { LiveOutcome } from "./decideLive";

/** Step `schedule-standby`: the deployment this one replaced as live goes to standby after the delay. */
export async function scheduleStandbyAfterDeploy(scope: DeployScope, runId: string, live: LiveOutcome): Promise<{ runId: string | null }> {
  if (!live.isLive) return { runId: null };
  await cancelStandby(scope.deps, scope.id);
  if (!live.previousLive) return { runId: null };
  return { runId: await scheduleStandby(scope.deps, live.previousLive, scope.id, runId) };
}
