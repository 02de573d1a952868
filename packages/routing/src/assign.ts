import { newId, type Queryable } from "@hydra/db";
import type { AssignDomainsRequest, AssignDomainsResponse } from "@hydra/proto/hydra/v1";
import { RoutingError } from "./errors";
import type { AppliedMutation } from "./fenced-mutation";
import { gatewayConfigJson, writeGatewayConfigs } from "./gateway-configs";
import { findDeployment } from "./sql/findDeployment";
import { insertDomains, type NewDomain } from "./sql/insertDomains";
import { lockDomainsByName } from "./sql/lockDomainsByName";
import { lockLiveDomains } from "./sql/lockLiveDomains";
import { pointDomainsAt } from "./sql/pointDomainsAt";
import type { DomainRow, LockedProjectRow } from "./sql/rows";
import { setDeploymentGatewayConfig } from "./sql/setDeploymentGatewayConfig";
import { setProjectLive } from "./sql/setProjectLive";
import { decideAssignment, type ExistingDomain, setLiveTakesEffect } from "./sticky";
import type { DomainClaimInput } from "./validate";

function existingDomain(row: DomainRow): ExistingDomain {
  return {
    workspaceId: row.workspace_id,
    projectId: row.project_id,
    deploymentId: row.deployment_id,
    sticky: row.sticky,
    deploymentSequence: row.deployment_sequence,
  };
}

/**
 * AssignDomains inside the project's transaction: stores the request's gateway config on the
 * deployment, decides each claimed domain by the sticky rules (`decideAssignment`), moves the
 * live pointer (and every LIVE domain with it) when `set_live` takes effect, writes the gateway
 * configs first, then the domain pointers.
 */
export async function applyAssign(
  tx: Queryable,
  project: LockedProjectRow,
  request: AssignDomainsRequest,
  claims: DomainClaimInput[],
  isLocal: (hostname: string) => boolean,
): Promise<AppliedMutation<AssignDomainsResponse>> {
  if (project.workspace_id !== request.workspaceId) {
    throw new RoutingError(
      "invalid_argument",
      `project ${project.id} belongs to workspace ${project.workspace_id}, not ${request.workspaceId}`,
    );
  }
  const deployment = await findDeployment(tx, request.deploymentId);
  if (!deployment) throw new RoutingError("not_found", `deployment ${request.deploymentId} not found`);
  if (deployment.project_id !== project.id || deployment.environment_id !== request.environmentId) {
    throw new RoutingError(
      "invalid_argument",
      `deployment ${deployment.id} belongs to project ${deployment.project_id}, environment ${deployment.environment_id}, not project ${project.id}, environment ${request.environmentId}`,
    );
  }
  let config = deployment.gateway_config;
  if (request.gatewayConfig) {
    config = gatewayConfigJson(request.gatewayConfig, deployment);
    await setDeploymentGatewayConfig(tx, deployment.id, config);
  }

  const movesLive = setLiveTakesEffect(
    request.setLive,
    { rolledBack: project.is_rolled_back || request.isRolledBack, liveSequence: project.live_sequence ?? undefined },
    deployment.sequence,
  );
  const existing = new Map(
    (
      await lockDomainsByName(
        tx,
        claims.map((c) => c.name),
      )
    ).map((d) => [d.name, d]),
  );
  const refused: string[] = [];
  const inserts: NewDomain[] = [];
  const reassigned: DomainRow[] = [];
  const pointing: string[] = []; // every hostname that ends up at this deployment
  for (const claim of claims) {
    const current = existing.get(claim.name);
    const decision = decideAssignment(
      {
        workspaceId: request.workspaceId,
        projectId: project.id,
        deploymentId: deployment.id,
        sticky: claim.sticky,
        deploymentSequence: deployment.sequence,
        movesLive,
      },
      current && existingDomain(current),
    );
    switch (decision.action) {
      case "refuse":
        refused.push(`${claim.name} (${decision.reason})`);
        break;
      case "insert":
        inserts.push({
          id: newId("domain"),
          name: claim.name,
          workspaceId: request.workspaceId,
          projectId: project.id,
          environmentId: request.environmentId,
          deploymentId: deployment.id,
          sticky: claim.sticky,
        });
        pointing.push(claim.name);
        break;
      case "reassign":
        reassigned.push(current!);
        pointing.push(claim.name);
        break;
      case "unchanged":
        pointing.push(claim.name);
        break;
      case "skip":
        break;
    }
  }
  if (refused.length > 0) {
    throw new RoutingError(
      "permission_denied",
      `domains owned by another workspace or project are never moved: ${refused.join(", ")}`,
    );
  }
  if (movesLive) {
    // The live pointer moves here, so every LIVE domain of the project follows it.
    const claimed = new Set(claims.map((c) => c.name));
    for (const live of await lockLiveDomains(tx, project.id)) {
      if (claimed.has(live.name) || live.deployment_id === deployment.id) continue;
      reassigned.push(live);
      pointing.push(live.name);
    }
  }

  const routes = await writeGatewayConfigs(tx, deployment, config, pointing, isLocal);
  await insertDomains(tx, inserts);
  await pointDomainsAt(
    tx,
    reassigned.map((d) => d.id),
    deployment.id,
  );
  if (movesLive) await setProjectLive(tx, project.id, deployment.id, false);

  const changed = new Set([...inserts.map((d) => d.name), ...reassigned.map((d) => d.name)]);
  const response: AssignDomainsResponse = {
    $typeName: "hydra.v1.AssignDomainsResponse",
    changedDomainNames: pointing.filter((name) => changed.has(name)),
    routingGeneration: 0n,
    previousLiveDeploymentId: project.live_deployment_id ?? "",
  };
  return { response, routes };
}
