import { defineWorkflow, type WorkflowContext } from "@hydra/workflow";
import type { DeployDeps } from "./deps";
import { stepRunner } from "./stepRunner";
import { armStandbyTimers } from "./standby";
import { asTerminal } from "./switch-live/asTerminal";
import { checkPromote, checkRollback, type PromoteInput, type RollbackInput } from "./switch-live/checks";
import { promotePlan, rollbackPlan } from "./switch-live/plan";
import { cancelTargetStandby } from "./switch-live/steps/cancelTargetStandby";
import { restoreTarget } from "./switch-live/steps/restoreTarget";
import { switchDomains, type SwitchLiveOutput, type SwitchPlan } from "./switch-live/steps/switchDomains";
import { wakeTarget } from "./switch-live/steps/wakeTarget";

export {
  checkPromote,
  checkRollback,
  loadProjectFacts,
  type PromoteInput,
  type RollbackInput,
} from "./switch-live/checks";
export type { SwitchLiveOutput } from "./switch-live/steps/switchDomains";

/**
 * Rollback and Promote: move an environment's LIVE and ENVIRONMENT domains and the project's
 * live pointer to a target deployment, in one routing transaction guarded by the live
 * deployment the decision was made on (`expected_live_deployment_id`). Bodies in switch-live/.
 *
 *   validate               the preconditions again, now that the run is under way
 *   cancel-target-standby  first, so a standby timer cannot scale the target down while it wakes
 *   wake-target            scale the target up and wait for it (a running one: at once)
 *   switch-domains         SwitchDomains guarded by the expected live deployment
 *   schedule-standby       what the switch left idle (the previous live one) goes to standby
 *   (compensation restore-target: a switch that did not happen leaves the target as it was)
 */
export const ROLLBACK_KIND = "rollback";
export const PROMOTE_KIND = "promote";

type SwitchStep = "validate" | "cancel-target-standby" | "wake-target" | "switch-domains" | "schedule-standby";

async function switchLive(ctx: WorkflowContext, deps: DeployDeps, plan: SwitchPlan): Promise<SwitchLiveOutput> {
  // Never paused: its caller may be gone, and the compensations must restore the target.
  const { step } = stepRunner<SwitchStep>(ctx, deps.settings, "cancel-target-standby", { failWhenExhausted: true });
  const target = plan.target;
  const before = await step("cancel-target-standby", () => cancelTargetStandby(deps, target.id));
  ctx.compensate("restore-target", () => restoreTarget(deps, ctx.runId, target, before));
  const wakeDeadline = new Date((await ctx.now()).getTime() + deps.settings.readyTimeoutMs);
  await step("wake-target", (signal) => wakeTarget(deps, target.id, wakeDeadline, signal), {
    timeoutMs: deps.settings.readyTimeoutMs + 30_000,
  });
  const result = await step("switch-domains", (signal) => switchDomains(deps, ctx.runId, plan, signal));
  // What the switch left without a sticky domain (the rolled-back-from or replaced live
  // deployment, unless its branch still points at it) goes to standby after the delay.
  await step("schedule-standby", async () => ({
    runIds: await armStandbyTimers(deps, target.projectId, ctx.runId, target.id),
  }));
  return result;
}

export function rollbackWorkflow(deps: DeployDeps) {
  return defineWorkflow<RollbackInput, SwitchLiveOutput>(ROLLBACK_KIND, async (ctx, input) => {
    const { step } = stepRunner<SwitchStep>(ctx, deps.settings, "validate");
    const checked = await step("validate", () => asTerminal(() => checkRollback(deps.pool, input)));
    return switchLive(ctx, deps, rollbackPlan(checked, input));
  });
}

export function promoteWorkflow(deps: DeployDeps) {
  return defineWorkflow<PromoteInput, SwitchLiveOutput>(PROMOTE_KIND, async (ctx, input) => {
    const { step } = stepRunner<SwitchStep>(ctx, deps.settings, "validate");
    const checked = await step("validate", () => asTerminal(() => checkPromote(deps.pool, input)));
    return switchLive(ctx, deps, promotePlan(checked));
  });
}
