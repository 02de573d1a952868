import { isId } from "@hydra/db";
import type { AssignDomainsRequest, SwitchDomainsRequest } from "@hydra/proto/hydra/v1";
import { RoutingError } from "./errors";
import { hostnameProblem } from "./hostname";
import { stickyFromProto, type StickyLevel } from "./sticky";

export const MAX_DOMAINS_PER_CALL = 10_000;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** A domain AssignDomains asks for, in stored form. */
export interface DomainClaimInput {
  name: string;
  sticky: StickyLevel;
}

function requireId(kind: Parameters<typeof isId>[0], field: string, value: string): void {
  if (!value) throw new RoutingError("invalid_argument", `${field} is required`);
  if (!isId(kind, value)) throw new RoutingError("invalid_argument", `${field} "${value}" is not a ${kind} id`);
}

function validateKey(key: string): void {
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new RoutingError(
      "invalid_argument",
      `idempotency_key is ${key.length} characters long (at most ${MAX_IDEMPOTENCY_KEY_LENGTH})`,
    );
  }
}

/** Everything that can be checked without the database; returns the domains in stored form. */
export function validateAssign(request: AssignDomainsRequest): DomainClaimInput[] {
  requireId("workspace", "workspace_id", request.workspaceId);
  requireId("project", "project_id", request.projectId);
  requireId("environment", "environment_id", request.environmentId);
  requireId("deployment", "deployment_id", request.deploymentId);
  validateKey(request.idempotencyKey);
  if (request.domains.length > MAX_DOMAINS_PER_CALL) {
    throw new RoutingError(
      "invalid_argument",
      `${request.domains.length} domains in one call (at most ${MAX_DOMAINS_PER_CALL})`,
    );
  }
  const config = request.gatewayConfig;
  if (config?.deploymentId && config.deploymentId !== request.deploymentId) {
    throw new RoutingError(
      "invalid_argument",
      `gateway_config.deployment_id ${config.deploymentId} is not deployment_id ${request.deploymentId}`,
    );
  }
  const seen = new Set<string>();
  const problems: string[] = [];
  const claims = request.domains.map((domain, index) => {
    const problem = hostnameProblem(domain.name);
    if (problem) problems.push(`domains[${index}] "${domain.name}" ${problem}`);
    else if (seen.has(domain.name)) problems.push(`domains[${index}] "${domain.name}" is listed twice`);
    seen.add(domain.name);
    const sticky = stickyFromProto(domain.sticky);
    if (!sticky) problems.push(`domains[${index}] "${domain.name}" has an unknown sticky value ${domain.sticky}`);
    return { name: domain.name, sticky: sticky ?? "unspecified" };
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join("; ");
    throw new RoutingError(
      "invalid_argument",
      `invalid domains: ${shown}${problems.length > 5 ? `; and ${problems.length - 5} more` : ""}`,
    );
  }
  return claims;
}

/** Everything that can be checked without the database; returns the distinct domain ids. */
export function validateSwitch(request: SwitchDomainsRequest): string[] {
  requireId("deployment", "target_deployment_id", request.targetDeploymentId);
  if (request.expectedLiveDeploymentId)
    requireId("deployment", "expected_live_deployment_id", request.expectedLiveDeploymentId);
  validateKey(request.idempotencyKey);
  if (request.domainIds.length > MAX_DOMAINS_PER_CALL) {
    throw new RoutingError(
      "invalid_argument",
      `${request.domainIds.length} domain ids in one call (at most ${MAX_DOMAINS_PER_CALL})`,
    );
  }
  const malformed = request.domainIds.filter((id) => !isId("domain", id));
  if (malformed.length > 0) {
    throw new RoutingError(
      "invalid_argument",
      `domain_ids are not domain ids: ${malformed
        .slice(0, 5)
        .map((id) => `"${id}"`)
        .join(", ")}`,
    );
  }
  return [...new Set(request.domainIds)];
}
