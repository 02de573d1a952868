import { armStandbyTimers, cancelStandby } from "../../standby";
import type { DeployScope } from "../scope";
import type { LiveOutcome } from "./decideLive";

/**
 * Step `schedule-standby`: every running deployment of the project that this deploy's routing
 * left with no LIVE, BRANCH or ENVIRONMENT domain and not live (the replaced live one, the
 * previous newest of the branch, this one if newer deployments hold its domains) goes to
 * standby after the delay. A live deployment's own pending standby is cancelled.
 */
export async function scheduleStandbyAfterDeploy(
  scope: DeployScope,
  runId: string,
  live: LiveOutcome,
): Promise<{ standbyRunIds: string[] }> {
  if (live.isLive) await cancelStandby(scope.deps, scope.id);
  return { standbyRunIds: await armStandbyTimers(scope.deps, scope.owner.projectId, runId, scope.id) };
}
