import { defineWorkflow } from "@hydra/workflow";
import { isTerminalError, type DeployDeps } from "./deps";
import { scaleToStandby } from "./standby/scaleToStandby";
import { STANDBY_KIND, type StandbyInput } from "./standby/timers";

export { scaleDown } from "./standby/scaleDown";
export { NotWakeableError, wakeDeployment } from "./standby/wakeDeployment";
export { armStandbyTimers } from "./standby/armStandbyTimers";
export { cancelStandby, scheduleStandby, STANDBY_KIND, type StandbyInput } from "./standby/timers";

/**
 * Standby: a deployment the lifecycle rule (lifecycle.ts) no longer keeps running keeps its
 * pods for HYDRA_STANDBY_DELAY (so a rollback is instant), then scales to zero. The delay is a
 * durable timer: it survives restarts, it is cancelled if the deployment becomes live again
 * first, and the rule is checked again when it fires.
 *
 *   standby-delay   sleep HYDRA_STANDBY_DELAY (durable)
 *   scale-down      scaleToStandby: under the deployment's lock, 0 replicas unless the rule keeps it
 */
export function standbyWorkflow(deps: DeployDeps) {
  return defineWorkflow<StandbyInput, { scaledDown: boolean }>(STANDBY_KIND, async (ctx, input) => {
    await ctx.sleep("standby-delay", input.delayMs);
    return ctx.step("scale-down", () => scaleToStandby(deps, ctx.runId, input.deploymentId), {
      isTerminal: isTerminalError,
    });
  });
}
