import type { Pool } from "@hydra/db";
import {
  type AssignDomainsRequest,
  AssignDomainsRequestSchema,
  type AssignDomainsResponse,
  AssignDomainsResponseSchema,
  type SwitchDomainsRequest,
  SwitchDomainsRequestSchema,
  type SwitchDomainsResponse,
  SwitchDomainsResponseSchema,
} from "@hydra/proto/hydra/v1";
import { applyAssign } from "./assign";
import { RoutingError } from "./errors";
import { type FencedMutationContext, runFencedMutation } from "./fenced-mutation";
import { isLocalHostname } from "./hostname";
import type { ProjectLock } from "./lock";
import { findDeployment } from "./sql/findDeployment";
import { applySwitch } from "./switch";
import { validateAssign, validateSwitch } from "./validate";

export { MAX_DOMAINS_PER_CALL, MAX_IDEMPOTENCY_KEY_LENGTH, validateAssign, validateSwitch } from "./validate";

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

/**
 * The routing core: validate (validate.ts), then the fenced mutation (fenced-mutation.ts:
 * idempotent replay, project lock, one fenced transaction) applying the assign rules
 * (assign.ts) or the switch rules (switch.ts). A `RoutingError` means nothing was written.
 */
export class RoutingCore {
  private readonly context: FencedMutationContext;
  private readonly defaultDomain: string | undefined;

  constructor(options: RoutingCoreOptions) {
    this.defaultDomain = options.defaultDomain || undefined;
    this.context = {
      pool: options.pool,
      lock: options.lock,
      statementTimeoutMs: options.statementTimeoutMs ?? 5_000,
      afterLockHook: options.afterLockHook,
    };
  }

  isLocal(hostname: string): boolean {
    return isLocalHostname(hostname, this.defaultDomain);
  }

  async assignDomains(request: AssignDomainsRequest): Promise<AssignDomainsResponse> {
    const claims = validateAssign(request);
    return runFencedMutation(this.context, {
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
      apply: (tx, project) => applyAssign(tx, project, request, claims, (h) => this.isLocal(h)),
    });
  }

  async switchDomains(request: SwitchDomainsRequest): Promise<SwitchDomainsResponse> {
    const domainIds = validateSwitch(request);
    return runFencedMutation(this.context, {
      kind: "switch_domains",
      requestSchema: SwitchDomainsRequestSchema,
      request,
      responseSchema: SwitchDomainsResponseSchema,
      projectId: async () => {
        const target = await findDeployment(this.context.pool, request.targetDeploymentId);
        if (!target) throw new RoutingError("not_found", `deployment ${request.targetDeploymentId} not found`);
        return target.project_id;
      },
      apply: (tx, project) => applySwitch(tx, project, request, domainIds, (h) => this.isLocal(h)),
    });
  }
}
