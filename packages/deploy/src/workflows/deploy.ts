import { defineWorkflow } from "@hydra/workflow";
import type { DeployDeps } from "./deps";
import { finishRouting, recordOutcome, scaleDownUnlessRouted } from "./deploy/compensations";
import { recordFailure } from "./deploy/recordFailure";
import { deployScope } from "./deploy/scope";
import { stepRunner } from "./stepRunner";
import { applyWorkloads } from "./deploy/steps/applyWorkloads";
import { assignRoutes } from "./deploy/steps/assignRoutes";
import { buildImage } from "./deploy/steps/buildImage";
import { buildRoutePlan, routedNamesEitherScheme } from "./deploy/steps/buildRoutePlan";
import { createTopologies } from "./deploy/steps/createTopologies";
import { decideLive } from "./deploy/steps/decideLive";
import { ensureNetworkPolicies } from "./deploy/steps/ensureNetworkPolicies";
import { ensureSentinels } from "./deploy/steps/ensureSentinels";
import { loadMetadata } from "./deploy/steps/loadMetadata";
import { markDeploying, markReady } from "./deploy/steps/markStatus";
import { scheduleStandbyAfterDeploy } from "./deploy/steps/scheduleStandbyAfterDeploy";
import { waitReady } from "./deploy/steps/waitReady";
import { DEPLOY_KIND, type DeployInput, type DeployOutput, type DeployStep } from "./deploy/types";

export { ACTIVE_STATUSES } from "./deploy/statuses";
export { DEPLOY_KIND, DEPLOY_STEPS, type DeployInput, type DeployOutput, type DeployStep } from "./deploy/types";

/**
 * The Deploy workflow (SPEC §3): thirteen durable steps, names stable. Each step's output is
 * recorded, so after a crash the run resumes at the step that was running; every external
 * call in a step is idempotent (server-side apply, idempotency keys, ON CONFLICT), so the
 * step that was interrupted may safely run again. Each body lives in deploy/steps/.
 */
export function deployWorkflow(deps: DeployDeps) {
  const { settings } = deps;
  return defineWorkflow<DeployInput, DeployOutput>(DEPLOY_KIND, async (ctx, input) => {
    const id = input.deploymentId;
    const { step, current } = stepRunner<DeployStep>(ctx, settings, "load-metadata");
    // Registered first so it runs last.
    ctx.compensate("record-outcome", () => recordOutcome(deps, ctx, id, current()));
    try {
      const scope = deployScope(deps, await step("load-metadata", () => loadMetadata(deps, ctx.runId, id)));
      const built = await step("build", (signal) => buildImage(scope, signal), {
        timeoutMs: settings.buildTimeoutMs + 30_000,
        retry: { maxAttempts: 3 },
      });
      await step("deploying", () => markDeploying(scope));
      await step("create-topologies", () => createTopologies(scope));
      const sentinels = await step("ensure-sentinels", () => ensureSentinels(scope));
      await step("ensure-network-policy", () => ensureNetworkPolicies(scope, sentinels));
      // Before apply, so a crash in the middle of applying is covered too. Never scales down
      // a deployment behind a domain.
      ctx.compensate("scale-down", () => scaleDownUnlessRouted(deps, id));
      const workloads = await step("apply-workloads", () => applyWorkloads(scope, built.image));
      // The deadline is recorded, so a restart does not grant a fresh 15 minutes.
      const readyDeadline = new Date((await ctx.now()).getTime() + settings.readyTimeoutMs);
      await step("wait-ready", (signal) => waitReady(scope, workloads, sentinels, readyDeadline, signal), {
        timeoutMs: settings.readyTimeoutMs + 30_000,
        retry: { maxAttempts: 10 },
      });
      const plan = await step("build-routes", () => buildRoutePlan(scope, sentinels));
      // Runs before scale-down: once routing began, a cancel finishes the deploy instead.
      ctx.compensate("finish-routing", (s) => finishRouting(scope, ctx.runId, plan, s));
      // routing-svc being restarted or briefly away is the transient failure to ride out (the
      // call is idempotent by its key): minutes, not the default few seconds, before pausing.
      const assigned = await step("assign-routes", (signal) => assignRoutes(scope, ctx.runId, plan, signal), {
        retry: { maxAttempts: 20, initialMs: 250, maxMs: 15_000 },
      });
      await step("ready", () => markReady(scope));
      const live = await step("update-live", async () =>
        decideLive(id, routedNamesEitherScheme(scope, plan), assigned),
      );
      const standby = await step("schedule-standby", () => scheduleStandbyAfterDeploy(scope, ctx.runId, live));
      return {
        deploymentId: id,
        live: live.isLive,
        routingGeneration: assigned.generation,
        changedDomains: assigned.changed,
        standbyRunIds: standby.standbyRunIds,
      };
    } catch (error) {
      return recordFailure(deps, id, current(), error);
    }
  });
}
