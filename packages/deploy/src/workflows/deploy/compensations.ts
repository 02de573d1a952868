import type { StepContext, WorkflowContext } from "@hydra/workflow";
import { findDeployment } from "../../sql/findDeployment";
import { isRouted } from "../../sql/isRouted";
import { setDeploymentStatus } from "../../sql/setDeploymentStatus";
import type { DeployDeps } from "../deps";
import { scaleDown } from "../standby";
import type { DeployScope } from "./scope";
import { ACTIVE_STATUSES } from "./statuses";
import { requestRoutes } from "./steps/assignRoutes";
import { routedNamesEitherScheme, type RoutePlan } from "./steps/buildRoutePlan";
import { decideLive } from "./steps/decideLive";
import { markReady } from "./steps/markStatus";
import { scheduleStandbyAfterDeploy } from "./steps/scheduleStandbyAfterDeploy";

/**
 * Compensation `record-outcome`: how a cancelled or timed-out run ended. (A terminal step
 * failure is recorded where its step and reason are known.)
 */
export async function recordOutcome(
  deps: DeployDeps,
  ctx: WorkflowContext,
  deploymentId: string,
  currentStep: string,
): Promise<null> {
  if (ctx.compensating === "cancelled") {
    const reason = ctx.cancelReason ?? "cancelled";
    const status = ctx.cancelKind === "superseded" ? "superseded" : "cancelled";
    await setDeploymentStatus(deps.pool, { id: deploymentId, status, reason, from: ACTIVE_STATUSES });
  } else if (ctx.compensating === "deadline") {
    await setDeploymentStatus(deps.pool, {
      id: deploymentId,
      status: "failed",
      reason: "deadline exceeded",
      failedStep: currentStep,
      from: ACTIVE_STATUSES,
    });
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

/**
 * Compensation `finish-routing` (registered before assign-routes, so it runs before
 * `scale-down` and `record-outcome`): once the deployment is NETWORK, routing has begun and a
 * cancel (an operator's `pnpm runs cancel`, whose abort does not stop a routing commit in
 * flight) must not win. The AssignDomains call is made again with its key — it returns the
 * first call's answer, after that call's commit if it was still in flight — and the deploy
 * is finished: READY, and the standby timers its routing calls for.
 */
export async function finishRouting(
  scope: DeployScope,
  runId: string,
  plan: RoutePlan,
  step: StepContext,
): Promise<{ finished: boolean }> {
  const row = await findDeployment(scope.deps.pool, scope.id);
  if (row?.status !== "network" && row?.status !== "ready") return { finished: false };
  const assigned = await requestRoutes(scope, plan, step.signal);
  await markReady(scope);
  await scheduleStandbyAfterDeploy(scope, runId, decideLive(scope.id, routedNamesEitherScheme(scope, plan), assigned));
  return { finished: true };
}
