import { stickyToProto } from "@hydra/routing";
import { findDeployment } from "../../../sql/findDeployment";
import { setDeploymentStatus } from "../../../sql/setDeploymentStatus";
import type { DeployScope } from "../scope";
import { generatedRoutes, type RoutePlan } from "./buildRoutePlan";

export interface AssignedRoutes {
  changed: string[];
  generation: string;
  previousLive: string;
}

/**
 * Step `assign-routes`: NETWORK, then AssignDomains. The move to NETWORK is conditional on no
 * cancel having been claimed on the row, so either the cancel or the routing wins.
 */
export async function assignRoutes(
  scope: DeployScope,
  runId: string,
  plan: RoutePlan,
  signal: AbortSignal,
): Promise<AssignedRoutes> {
  const { deps, id } = scope;
  const routing = await setDeploymentStatus(deps.pool, {
    id,
    status: "network",
    from: ["deploying"],
    unlessCancelRequested: true,
  });
  if (!routing) {
    const row = await findDeployment(deps.pool, id);
    if (row?.status !== "network") {
      // A cancel won the row before routing began: make sure the run is cancelled too
      // (the canceller may have died between the two), then stop here without routing.
      await deps.engine.cancel(runId, row?.cancel_reason ?? "cancelled");
      throw new Error(`deployment ${id} was cancelled before routing`);
    }
  }
  return requestRoutes(scope, plan, signal);
}

/**
 * The AssignDomains call itself, idempotent by its key: a second call returns what the first
 * did, after waiting for it if it is still in flight (routing serializes on the project).
 * The names are generated anew, not taken from the recorded plan: a run that began before an
 * upgrade of the name encoding replays a plan of older-scheme names, which the upgrade renamed
 * away (migrate-domain-names.ts) and routing them would bring back. They follow from the
 * recorded metadata, so the call is as deterministic as the plan.
 */
export async function requestRoutes(scope: DeployScope, plan: RoutePlan, signal: AbortSignal): Promise<AssignedRoutes> {
  const { deps, id, owner } = scope;
  // Whether the project is rolled back, and whether this deployment is still the newest,
  // are decided by routing on the locked project row: a flag read here could be stale.
  const response = await deps.router.assignDomains(
    {
      ...owner,
      deploymentId: id,
      domains: generatedRoutes(scope).map((r) => ({ name: r.name, sticky: stickyToProto(r.sticky) })),
      gatewayConfig: plan.gatewayConfig,
      isRolledBack: false,
      idempotencyKey: `assign:${id}`,
      setLive: scope.meta.environment.production,
    },
    { signal },
  );
  return {
    changed: response.changedDomainNames,
    generation: response.routingGeneration.toString(),
    previousLive: response.previousLiveDeploymentId,
  };
}
