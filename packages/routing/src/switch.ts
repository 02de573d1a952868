import type { Queryable } from "@hydra/db";
import type { SwitchDomainsRequest, SwitchDomainsResponse } from "@hydra/proto/hydra/v1";
import { RoutingError } from "./errors";
import type { AppliedMutation } from "./fenced-mutation";
import { writeGatewayConfigs } from "./gateway-configs";
import { findDeployment } from "./sql/findDeployment";
import { lockDomainsById } from "./sql/lockDomainsById";
import { lockLiveDomains } from "./sql/lockLiveDomains";
import { pointDomainsAt } from "./sql/pointDomainsAt";
import type { LockedProjectRow } from "./sql/rows";
import { setProjectLive } from "./sql/setProjectLive";

/**
 * SwitchDomains inside the project's transaction: the domains must be the target's project's;
 * LIVE domains move only with the live pointer (`set_live`, which takes every LIVE domain
 * along); the target's own stored gateway config is copied to every hostname, then the
 * pointers move.
 */
export async function applySwitch(
  tx: Queryable,
  project: LockedProjectRow,
  request: SwitchDomainsRequest,
  domainIds: string[],
  isLocal: (hostname: string) => boolean,
): Promise<AppliedMutation<SwitchDomainsResponse>> {
  const target = await findDeployment(tx, request.targetDeploymentId);
  if (!target) throw new RoutingError("not_found", `deployment ${request.targetDeploymentId} not found`);
  if (request.expectedLiveDeploymentId && project.live_deployment_id !== request.expectedLiveDeploymentId) {
    throw new RoutingError(
      "failed_precondition",
      `project ${project.id}: live deployment is ${project.live_deployment_id ?? "none"}, not the expected ${request.expectedLiveDeploymentId}`,
    );
  }
  if (!target.gateway_config) {
    throw new RoutingError(
      "failed_precondition",
      `deployment ${target.id} has no stored gateway config to switch to (it was never assigned one)`,
    );
  }
  const found = await lockDomainsById(tx, domainIds);
  const foundIds = new Set(found.map((d) => d.id));
  const missing = domainIds.filter((id) => !foundIds.has(id));
  if (missing.length > 0) throw new RoutingError("not_found", `domains not found: ${missing.join(", ")}`);
  const foreign = found.filter((d) => d.project_id !== target.project_id);
  if (foreign.length > 0) {
    throw new RoutingError(
      "permission_denied",
      `domains of another project cannot be switched to deployment ${target.id} of project ${target.project_id}: ${foreign.map((d) => `${d.name} (${d.id}, project ${d.project_id})`).join(", ")}`,
    );
  }
  const domains = [...found];
  if (request.setLive) {
    for (const live of await lockLiveDomains(tx, project.id)) {
      if (!foundIds.has(live.id)) domains.push(live);
    }
  } else {
    const live = found.filter((d) => d.sticky === "live");
    if (live.length > 0) {
      throw new RoutingError(
        "failed_precondition",
        `LIVE domains move only with the live pointer (set_live): ${live.map((d) => d.name).join(", ")}`,
      );
    }
  }

  const routes = await writeGatewayConfigs(
    tx,
    target,
    target.gateway_config,
    domains.map((d) => d.name),
    isLocal,
  );
  const moving = domains.filter((d) => d.deployment_id !== target.id);
  await pointDomainsAt(
    tx,
    moving.map((d) => d.id),
    target.id,
  );
  if (request.setLive) await setProjectLive(tx, project.id, target.id, request.rolledBack);

  const response: SwitchDomainsResponse = {
    $typeName: "hydra.v1.SwitchDomainsResponse",
    switchedDomainNames: moving.map((d) => d.name),
    routingGeneration: 0n,
    previousLiveDeploymentId: project.live_deployment_id ?? "",
  };
  return { response, routes };
}
