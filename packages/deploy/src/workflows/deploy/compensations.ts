import type { WorkflowContext } from "@hydra/workflow";
import { isRouted } from "../../sql/isRouted";
import { setDeploymentStatus } from "../../sql/setDeploymentStatus";
import type { DeployDeps } from "../deps";
import { scaleDown } from "../standby";
import { ACTIVE_STATUSES } from "./statuses";

/**
 * Compensation `record-outcome`: how a cancelled or timed-out run ended. (A terminal step
 * failure is recorded where its step and reason are known.)
 */
export async function recordOutcome(deps: DeployDeps, ctx: WorkflowContext, deploymentId: string, currentStep: string): Promise<null> {
  if (ctx.compensating === "cancelled") {
    const reason = ctx.cancelReason ?? "cancelled";
    const status = ctx.cancelKind === "superseded" ? "superseded" : "cancelled";
    await setDeploymentStatus(deps.pool, { id: deploymentId, status, reason, from: ACTIVE_STATUSES });
  } else if (ctx.compensating === "deadline") {
    await setDeploymentStatus(deps.pool, { id: deploymentId, status: "failed", reason: "deadline exceeded", failedStep: currentStep, from: ACTIVE_STATUSES });
  }
  return null;
}

/**
 * Compensation `scale-down`: a failed or cancelled deployment's workloads go to 0 — unless
 * routing already points domains here: a failure after that (say, scheduling the previous
 * deployment's standby) must not take serving pods away.
 */
export async function scaleDownUnlessRouted(deps: DeployDeps, deploymentId: string): Promise<{ scaledDown: boolean }> {
  if (await isRouted(deps.pool, deploymentId)) return { scaledDown: false };
  await scaleDown(deps, deploymentId, "failed");
  return { scaledDown: true };
}
