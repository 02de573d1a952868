import { createHash } from "node:crypto";
import { clone, type DescMessage, fromJson, type JsonValue, type MessageShape, toBinary, toJson } from "@bufbuild/protobuf";
import { inTransaction, isId, newId, type Pool } from "@hydra/db";
import {
  type AssignDomainsRequest,
  AssignDomainsRequestSchema,
  type AssignDomainsResponse,
  AssignDomainsResponseSchema,
  type GatewayConfig,
  GatewayConfigSchema,
  type SwitchDomainsRequest,
  SwitchDomainsRequestSchema,
  type SwitchDomainsResponse,
  SwitchDomainsResponseSchema,
} from "@hydra/proto/hydra/v1";
import { classifyDatabaseError, RoutingError } from "./errors";
import { hostnameProblem, isLocalHostname } from "./hostname";
import type { LockHold, ProjectLock } from "./lock";
import { bumpRoutingGeneration } from "./sql/bump-routing-generation";
import { insertDomains, type NewDomain } from "./sql/insert-domains";
import { insertRoutingOperation } from "./sql/insert-routing-operation";
import { type LockedProject, lockProject } from "./sql/lock-project";
import type { GatewayConfigJson, Queryable } from "./sql/queryable";
import { type DeploymentRow, selectDeployment } from "./sql/select-deployment";
import { type DomainRow, selectDomainsById, selectDomainsByName, selectLiveDomains } from "./sql/select-domains";
import { selectRoutingGeneration } from "./sql/select-routing-generation";
import { selectRoutingOperation } from "./sql/select-routing-operation";
import { updateDeploymentGatewayConfig } from "./sql/update-deployment-gateway-config";
import { updateDomainDeployments } from "./sql/update-domain-deployments";
import { updateProjectLive } from "./sql/update-project-live";
import { type GatewayConfigRow, upsertGatewayConfigs } from "./sql/upsert-gateway-configs";
import { decideAssignment, setLiveTakesEffect, stickyFromProto, type StickyLevel } from "./sticky";

export const MAX_DOMAINS_PER_CALL = 10_000;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export interface RoutingCoreOptions {
  pool: Pool;
  lock: ProjectLock;
  /** HYDRA_DEFAULT_DOMAIN: hostnames equal to or under it are never local. */
  defaultDomain?: string;
  /** Bound on every statement and row-lock wait inside the routing transaction. */
  statementTimeoutMs?: number;
  /**
   * Test seam: runs after the project lock is held and the fencing generation read, before
   * the transaction. Tests pause here to let the lease lapse.
   */
  afterLockHook?: (projectId: string) => Promise<void>;
}

type Kind = "assign_domains" | "switch_domains";

/**
 * The routing core: every mutation takes the project's lock, then commits in one Postgres
 * transaction that locks the project row, checks the fencing generation read when the lock
 * was taken, applies the change, bumps `routing_generation` and records the operation (the
 * idempotent answer). A `RoutingError` means nothing was written.
 */
export class RoutingCore {
  private readonly pool: Pool;
  private readonly lock: ProjectLock;
  private readonly defaultDomain: string | undefined;
  private readonly statementTimeoutMs: number;
  private readonly afterLockHook: RoutingCoreOptions["afterLockHook"];

  constructor(options: RoutingCoreOptions) {
    this.pool = options.pool;
    this.lock = options.lock;
    this.defaultDomain = options.defaultDomain || undefined;
    this.statementTimeoutMs = options.statementTimeoutMs ?? 5_000;
    this.afterLockHook = options.afterLockHook;
  }

  isLocal(hostname: string): boolean {
    return isLocalHostname(hostname, this.defaultDomain);
  }

  async assignDomains(request: AssignDomainsRequest): Promise<AssignDomainsResponse> {
    const claims = validateAssign(request);
    return this.mutate({
      kind: "assign_domains",
      requestSchema: AssignDomainsRequestSchema,
      request,
      // The caller's reading of the project's state at call time, not part of what it asks
      // for: a retry after a rollback reads it differently and must still get the first answer.
      hashIgnoring: (copy) => {
        copy.isRolledBack = false;
        copy.setLive = false;
      },
      responseSchema: AssignDomainsResponseSchema,
      projectId: async () => request.projectId,
      apply: (tx, project) => this.applyAssign(tx, project, request, claims),
    });
  }

  async switchDomains(request: SwitchDomainsRequest): Promise<SwitchDomainsResponse> {
    const domainIds = validateSwitch(request);
    return this.mutate({
      kind: "switch_domains",
      requestSchema: SwitchDomainsRequestSchema,
      request,
      responseSchema: SwitchDomainsResponseSchema,
      projectId: async () => {
        const target = await selectDeployment(this.pool, request.targetDeploymentId);
        if (!target) throw new RoutingError("not_found", `deployment ${request.targetDeploymentId} not found`);
        return target.projectId;
      },
      apply: (tx, project) => this.applySwitch(tx, project, request, domainIds),
    });
  }

  private async mutate<Req extends DescMessage, Res extends DescMessage>(op: {
    kind: Kind;
    requestSchema: Req;
    request: MessageShape<Req> & { idempotencyKey: string };
    hashIgnoring?: (copy: MessageShape<Req>) => void;
    responseSchema: Res;
    projectId: () => Promise<string>;
    apply: (tx: Queryable, project: LockedProject) => Promise<MessageShape<Res> & { routingGeneration: bigint }>;
  }): Promise<MessageShape<Res>> {
    const key = op.request.idempotencyKey || null;
    const requestHash = hashRequest(op.requestSchema, op.request, op.hashIgnoring);
    try {
      // A retry of a committed call is answered from the record, without the lock.
      const replay = key ? await this.replay(this.pool, key, op.kind, requestHash, op.responseSchema) : undefined;
      if (replay) return replay;
      const projectId = await op.projectId();
      return await this.lock.withLock(projectId, async (hold) => {
        const fence = await selectRoutingGeneration(this.pool, projectId);
        if (fence === undefined) throw new RoutingError("not_found", `project ${projectId} not found`);
        await this.afterLockHook?.(projectId);
        return inTransaction(this.pool, async (tx) => {
          await tx.query(`SET LOCAL lock_timeout = ${this.statementTimeoutMs}; SET LOCAL statement_timeout = ${this.statementTimeoutMs}`);
          const project = await lockProject(tx, projectId);
          if (!project) throw new RoutingError("not_found", `project ${projectId} not found`);
          const again = key ? await this.replay(tx, key, op.kind, requestHash, op.responseSchema) : undefined;
          if (again) return again;
          if (project.routingGeneration !== fence) {
            throw new RoutingError(
              "aborted",
              `project ${projectId}: routing generation moved from ${fence} to ${project.routingGeneration} after the lock was taken (lease lost); retry`,
            );
          }
          const response = await op.apply(tx, project);
          assertStillHeld(hold, projectId);
          const generation = await bumpRoutingGeneration(tx, projectId, fence);
          if (generation === undefined) {
            throw new RoutingError("aborted", `project ${projectId}: routing generation is no longer ${fence} (lease lost); retry`);
          }
          response.routingGeneration = generation;
          await insertRoutingOperation(tx, {
            id: newId("routingOperation"),
            projectId,
            routingGeneration: generation,
            kind: op.kind,
            idempotencyKey: key,
            requestHash,
            response: toJson(op.responseSchema, response),
          });
          return response;
        });
      });
    } catch (error) {
      const classified = classifyDatabaseError(error);
      // A concurrent first call with the same key committed first: answer as its retry.
      if (key && isUniqueViolation(error, "routing_operations_idempotency_key_key")) {
        const replay = await this.replay(this.pool, key, op.kind, requestHash, op.responseSchema).catch(() => undefined);
        if (replay) return replay;
      }
      if (isUniqueViolation(error, "domains_name_key")) {
        throw new RoutingError("aborted", "a domain was created concurrently by another project; retry", { cause: error });
      }
      throw classified;
    }
  }

  private async replay<Res extends DescMessage>(
    db: Queryable,
    key: string,
    kind: Kind,
    requestHash: string,
    responseSchema: Res,
  ): Promise<MessageShape<Res> | undefined> {
    const recorded = await selectRoutingOperation(db, key);
    if (!recorded) return undefined;
    if (recorded.kind !== kind || recorded.requestHash !== requestHash) {
      throw new RoutingError(
        "already_exists",
        `idempotency key "${key}" was already used for a different ${recorded.kind} request (generation ${recorded.routingGeneration} of project ${recorded.projectId})`,
      );
    }
    return fromJson(responseSchema, recorded.response as JsonValue);
  }

  private async applyAssign(
    tx: Queryable,
    project: LockedProject,
    request: AssignDomainsRequest,
    claims: Array<{ name: string; sticky: StickyLevel }>,
  ): Promise<AssignDomainsResponse> {
    if (project.workspaceId !== request.workspaceId) {
      throw new RoutingError("invalid_argument", `project ${project.id} belongs to workspace ${project.workspaceId}, not ${request.workspaceId}`);
    }
    const deployment = await selectDeployment(tx, request.deploymentId);
    if (!deployment) throw new RoutingError("not_found", `deployment ${request.deploymentId} not found`);
    if (deployment.projectId !== project.id || deployment.environmentId !== request.environmentId) {
      throw new RoutingError(
        "invalid_argument",
        `deployment ${deployment.id} belongs to project ${deployment.projectId}, environment ${deployment.environmentId}, not project ${project.id}, environment ${request.environmentId}`,
      );
    }
    let config = deployment.gatewayConfig;
    if (request.gatewayConfig) {
      config = gatewayConfigJson(request.gatewayConfig, deployment);
      await updateDeploymentGatewayConfig(tx, deployment.id, config);
    }

    const movesLive = setLiveTakesEffect(
      request.setLive,
      { rolledBack: project.isRolledBack || request.isRolledBack, liveSequence: project.liveSequence ?? undefined },
      deployment.sequence,
    );
    const existing = new Map((await selectDomainsByName(tx, claims.map((c) => c.name))).map((d) => [d.name, d]));
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
        current,
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
      throw new RoutingError("permission_denied", `domains owned by another workspace or project are never moved: ${refused.join(", ")}`);
    }
    if (movesLive) {
      // The live pointer moves here, so every LIVE domain of the project follows it.
      const claimed = new Set(claims.map((c) => c.name));
      for (const live of await selectLiveDomains(tx, project.id)) {
        if (claimed.has(live.name) || live.deploymentId === deployment.id) continue;
        reassigned.push(live);
        pointing.push(live.name);
      }
    }

    await this.writeGatewayConfigs(tx, deployment, config, pointing);
    await insertDomains(tx, inserts);
    await updateDomainDeployments(tx, reassigned.map((d) => d.id), deployment.id);
    if (movesLive) await updateProjectLive(tx, project.id, deployment.id, false);

    const changed = new Set([...inserts.map((d) => d.name), ...reassigned.map((d) => d.name)]);
    return {
      $typeName: "hydra.v1.AssignDomainsResponse",
      changedDomainNames: pointing.filter((name) => changed.has(name)),
      routingGeneration: 0n,
      previousLiveDeploymentId: project.liveDeploymentId ?? "",
    };
  }

  private async applySwitch(
    tx: Queryable,
    project: LockedProject,
    request: SwitchDomainsRequest,
    domainIds: string[],
  ): Promise<SwitchDomainsResponse> {
    const target = await selectDeployment(tx, request.targetDeploymentId);
    if (!target) throw new RoutingError("not_found", `deployment ${request.targetDeploymentId} not found`);
    if (request.expectedLiveDeploymentId && project.liveDeploymentId !== request.expectedLiveDeploymentId) {
      throw new RoutingError(
        "failed_precondition",
        `project ${project.id}: live deployment is ${project.liveDeploymentId ?? "none"}, not the expected ${request.expectedLiveDeploymentId}`,
      );
    }
    if (!target.gatewayConfig) {
      throw new RoutingError("failed_precondition", `deployment ${target.id} has no stored gateway config to switch to (it was never assigned one)`);
    }
    const found = await selectDomainsById(tx, domainIds);
    const foundIds = new Set(found.map((d) => d.id));
    const missing = domainIds.filter((id) => !foundIds.has(id));
    if (missing.length > 0) throw new RoutingError("not_found", `domains not found: ${missing.join(", ")}`);
    const foreign = found.filter((d) => d.projectId !== target.projectId);
    if (foreign.length > 0) {
      throw new RoutingError(
        "permission_denied",
        `domains of another project cannot be switched to deployment ${target.id} of project ${target.projectId}: ${foreign.map((d) => `${d.name} (${d.id}, project ${d.projectId})`).join(", ")}`,
      );
    }
    const domains = [...found];
    if (request.setLive) {
      for (const live of await selectLiveDomains(tx, project.id)) {
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

    // Gateway configs first, then the domain pointers (the data plane is ready before it is pointed at).
    await this.writeGatewayConfigs(tx, target, target.gatewayConfig, domains.map((d) => d.name));
    const moving = domains.filter((d) => d.deploymentId !== target.id);
    await updateDomainDeployments(tx, moving.map((d) => d.id), target.id);
    if (request.setLive) await updateProjectLive(tx, project.id, target.id, request.rolledBack);

    return {
      $typeName: "hydra.v1.SwitchDomainsResponse",
      switchedDomainNames: moving.map((d) => d.name),
      routingGeneration: 0n,
      previousLiveDeploymentId: project.liveDeploymentId ?? "",
    };
  }

  /** Upserts the gateway config of every non-local hostname that points at `deployment`. */
  private async writeGatewayConfigs(
    tx: Queryable,
    deployment: DeploymentRow,
    config: GatewayConfigJson | null,
    hostnames: string[],
  ): Promise<void> {
    const served = hostnames.filter((name) => !this.isLocal(name));
    if (served.length === 0) return;
    if (!config) {
      throw new RoutingError(
        "failed_precondition",
        `deployment ${deployment.id} has no gateway config: pass gateway_config to route ${served.slice(0, 3).join(", ")}${served.length > 3 ? ", …" : ""}`,
      );
    }
    const rows: GatewayConfigRow[] = served.map((hostname) => ({
      hostname,
      workspaceId: deployment.workspaceId,
      projectId: deployment.projectId,
      environmentId: deployment.environmentId,
      deploymentId: deployment.id,
      config,
    }));
    await upsertGatewayConfigs(tx, rows);
  }
}

function assertStillHeld(hold: LockHold, projectId: string): void {
  if (hold.signal.aborted) {
    const reason = hold.signal.reason instanceof Error ? hold.signal.reason.message : "lease lost";
    throw new RoutingError("aborted", `project ${projectId}: ${reason}; nothing was committed, retry`);
  }
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown };
  return e?.code === "23505" && e.constraint === constraint;
}

/** Hash of the request without its idempotency key (and advisory fields): a retry must ask for the same thing. */
function hashRequest<Req extends DescMessage>(
  schema: Req,
  request: MessageShape<Req> & { idempotencyKey: string },
  ignoring?: (copy: MessageShape<Req>) => void,
): string {
  const copy = clone(schema, request) as MessageShape<Req> & { idempotencyKey: string };
  copy.idempotencyKey = "";
  ignoring?.(copy);
  return createHash("sha256").update(toBinary(schema, copy)).digest("hex");
}

/** The config stored for a deployment and its hostnames; it always names the deployment it routes to. */
function gatewayConfigJson(config: GatewayConfig, deployment: DeploymentRow): GatewayConfigJson {
  const copy = clone(GatewayConfigSchema, config);
  copy.deploymentId = deployment.id;
  copy.workspaceId ||= deployment.workspaceId;
  copy.projectId ||= deployment.projectId;
  copy.environmentId ||= deployment.environmentId;
  return toJson(GatewayConfigSchema, copy, { alwaysEmitImplicit: true }) as GatewayConfigJson;
}

function requireId(kind: Parameters<typeof isId>[0], field: string, value: string): void {
  if (!value) throw new RoutingError("invalid_argument", `${field} is required`);
  if (!isId(kind, value)) throw new RoutingError("invalid_argument", `${field} "${value}" is not a ${kind} id`);
}

function validateKey(key: string): void {
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new RoutingError("invalid_argument", `idempotency_key is ${key.length} characters long (at most ${MAX_IDEMPOTENCY_KEY_LENGTH})`);
  }
}

/** Everything that can be checked without the database; returns the domains in stored form. */
export function validateAssign(request: AssignDomainsRequest): Array<{ name: string; sticky: StickyLevel }> {
  requireId("workspace", "workspace_id", request.workspaceId);
  requireId("project", "project_id", request.projectId);
  requireId("environment", "environment_id", request.environmentId);
  requireId("deployment", "deployment_id", request.deploymentId);
  validateKey(request.idempotencyKey);
  if (request.domains.length > MAX_DOMAINS_PER_CALL) {
    throw new RoutingError("invalid_argument", `${request.domains.length} domains in one call (at most ${MAX_DOMAINS_PER_CALL})`);
  }
  const config = request.gatewayConfig;
  if (config?.deploymentId && config.deploymentId !== request.deploymentId) {
    throw new RoutingError("invalid_argument", `gateway_config.deployment_id ${config.deploymentId} is not deployment_id ${request.deploymentId}`);
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
    throw new RoutingError("invalid_argument", `invalid domains: ${shown}${problems.length > 5 ? `; and ${problems.length - 5} more` : ""}`);
  }
  return claims;
}

/** Everything that can be checked without the database; returns the distinct domain ids. */
export function validateSwitch(request: SwitchDomainsRequest): string[] {
  requireId("deployment", "target_deployment_id", request.targetDeploymentId);
  if (request.expectedLiveDeploymentId) requireId("deployment", "expected_live_deployment_id", request.expectedLiveDeploymentId);
  validateKey(request.idempotencyKey);
  if (request.domainIds.length > MAX_DOMAINS_PER_CALL) {
    throw new RoutingError("invalid_argument", `${request.domainIds.length} domain ids in one call (at most ${MAX_DOMAINS_PER_CALL})`);
  }
  const malformed = request.domainIds.filter((id) => !isId("domain", id));
  if (malformed.length > 0) {
    throw new RoutingError("invalid_argument", `domain_ids are not domain ids: ${malformed.slice(0, 5).map((id) => `"${id}"`).join(", ")}`);
  }
  return [...new Set(request.domainIds)];
}
