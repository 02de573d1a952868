import { randomUUID } from "node:crypto";
import { findDesiredState } from "../../sql/findDesiredState";
import type { DeployDeps } from "../deps";
import { armStandbyTimers } from "./armStandbyTimers";
import { wakeDeployment } from "./wakeDeployment";

/**
 * The durable wake entry point for a request to a standby deployment's URL (the data plane
 * calls it through DeployApi.wake): scales the deployment back to its desired replicas and
 * waits until they are ready (a running deployment returns at once), then arms its standby
 * timer again, so it goes back to 0 after HYDRA_STANDBY_DELAY unless something routes it
 * meanwhile. Idempotent: concurrent and repeated calls serialize on the deployment's lock and
 * all return once it runs.
 */
export async function wakeOnRequest(
  deps: DeployDeps,
  deploymentId: string,
  deadline: Date,
  signal: AbortSignal,
): Promise<void> {
  await wakeDeployment(deps, deploymentId, deadline, signal);
  const state = await findDesiredState(deps.pool, deploymentId);
  if (state) await armStandbyTimers(deps, state.projectId, `wake:${randomUUID()}`, deploymentId);
}
