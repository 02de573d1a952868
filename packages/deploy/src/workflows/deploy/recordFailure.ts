import { TerminalError } from "@hydra/workflow";
import { setDeploymentStatus } from "../../sql/setDeploymentStatus";
import { failureReason, type DeployDeps } from "../deps";
import { ACTIVE_STATUSES } from "./statuses";

/** A terminal step failure: the deployment is FAILED with the step and the reason. Rethrows. */
export async function recordFailure(
  deps: DeployDeps,
  deploymentId: string,
  step: string,
  error: unknown,
): Promise<never> {
  if (error instanceof TerminalError) {
    await setDeploymentStatus(deps.pool, {
      id: deploymentId,
      status: "failed",
      reason: failureReason(error),
      failedStep: step,
      from: ACTIVE_STATUSES,
    });
  }
  throw error;
}
