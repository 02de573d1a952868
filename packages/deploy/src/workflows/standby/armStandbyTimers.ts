import { runReason } from "../../lifecycle";
import { listLifecycleFacts } from "../../sql/listLifecycleFacts";
import { scheduleStandby, type StandbyTimerDeps } from "./timers";

/**
 * Starts a standby timer for every running deployment of the project that the lifecycle rule
 * no longer keeps running and that has none pending. Called after anything that moves domains
 * or the live pointer (deploy, rollback, promote, a refused switch, a request wake), so that
 * whatever lost its last sticky domain goes to standby. Idempotent per `scheduledBy`; the
 * timer checks the rule again when it fires.
 */
export async function armStandbyTimers(
  deps: StandbyTimerDeps,
  projectId: string,
  scheduledBy: string,
  replacedBy: string,
): Promise<string[]> {
  const facts = await listLifecycleFacts(deps.pool, { projectId });
  const idle = facts.filter((f) => !f.standbyPending && runReason({ ...f, switchTarget: false }) === null);
  return Promise.all(idle.map((f) => scheduleStandby(deps, f.id, replacedBy, scheduledBy)));
}
