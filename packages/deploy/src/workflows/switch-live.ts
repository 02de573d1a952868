import { Code, ConnectError } from "@connectrpc/connect";
import { defineWorkflow, type WorkflowContext } from "@hydra/workflow";
import { promoteRefusal, rollbackRefusal, type DeploymentFacts, type ProjectFacts } from "../preconditions";
import { findProjectLive, listSwitchableDomainIds } from "../sql/findProjectLive";
import type { Queryable } from "../sql/rows";
import { codedTerminal, isTerminalError, withTestDelay, type DeployDeps } from "./deps";
import { cancelStandby, NotWakeableError, scaleDown, scheduleStandby, wakeDeployment } from "./standby";

/**
 * Rollback and Promote: move an environment's LIVE and ENVIRONMENT domains and the project's
 * live pointer to a target deployment, in one routing transaction guarded by the live
 * deployment the decision was made on (`expected_live_deployment_id`).
 */
export const ROLLBACK_KIND = "rollback";
export const PROMOTE_KIND = "promote";

export interface RollbackInput {
  sourceDeploymentId: string;
  targetDeploymentId: string;
}

export interface PromoteInput {
  targetDeploymentId: string;
}

export interface SwitchLiveOutput {
  previousLiveDeploymentId: string;
  liveDeploymentId: string;
  routingGeneration: string;
}

interface FactsRow {
  id: string;
  project_id: string;
  environment_id: string;
  production: boolean;
  status: DeploymentFacts["status"];
}

export async function loadDeploymentFacts(db: Queryable, id: string): Promise<DeploymentFacts | null> {
  const result = await db.query<FactsRow>({
    name: "deploy_loadDeploymentFacts",
    text: `SELECT d.id, d.project_id, d.environment_id, e.production, d.status
           FROM deployments d JOIN environments e ON e.id = d.environment_id WHERE d.id = $1`,
    values: [id],
  });
  const row = result.rows[0];
  return row ? { id: row.id, projectId: row.project_id, environmentId: row.environment_id, production: row.production, status: row.status } : null;
}

export async function loadProjectFacts(db: Queryable, projectId: string): Promise<ProjectFacts> {
  const live = await findProjectLive(db, projectId);
  return { id: projectId, liveDeploymentId: live?.liveDeploymentId ?? null, isRolledBack: live?.isRolledBack ?? false };
}

async function inStandby(db: Queryable, id: string): Promise<boolean> {
  const result = await db.query<{ desired_state: string }>("SELECT desired_state FROM deployments WHERE id = $1", [id]);
  return result.rows[0]?.desired_state === "standby";
}

async function requireDeployment(db: Queryable, id: string, role: string): Promise<DeploymentFacts> {
  const facts = await loadDeploymentFacts(db, id);
  if (!facts) throw new ConnectError(`${role} deployment ${id} not found`, Code.NotFound);
  return facts;
}

/** Validation shared by the RPC (before any run exists) and the workflow (again, under way). */
export async function checkRollback(db: Queryable, input: RollbackInput): Promise<{ target: DeploymentFacts; project: ProjectFacts }> {
  const source = await requireDeployment(db, input.sourceDeploymentId, "source");
  const target = await requireDeployment(db, input.targetDeploymentId, "target");
  const project = await loadProjectFacts(db, source.projectId);
  const refusal = rollbackRefusal(source, target, project);
  if (refusal) throw new ConnectError(refusal.message, refusal.code);
  return { target, project };
}

export async function checkPromote(db: Queryable, input: PromoteInput): Promise<{ target: DeploymentFacts; project: ProjectFacts }> {
  const target = await requireDeployment(db, input.targetDeploymentId, "target");
  const project = await loadProjectFacts(db, target.projectId);
  const refusal = promoteRefusal(target, project);
  if (refusal) throw new ConnectError(refusal.message, refusal.code);
  return { target, project };
}

async function asTerminal<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ConnectError && isTerminalError(error)) throw codedTerminal(error.code, error.rawMessage);
    if (error instanceof NotWakeableError) throw codedTerminal(Code.FailedPrecondition, error.message);
    throw error;
  }
}

async function switchLive(
  ctx: WorkflowContext,
  deps: DeployDeps,
  /** `moveDomains: false`: only the live pointer and flag change (promoting the live deployment while rolled back). */
  plan: { target: DeploymentFacts; expectedLive: string; rolledBack: boolean; moveDomains: boolean },
): Promise<SwitchLiveOutput> {
  const targetId = plan.target.id;
  // First, so a standby timer cannot scale the target down while it is being woken.
  const cancelled = await ctx.step("cancel-target-standby", withTestDelay(deps.settings, "cancel-target-standby", () => cancelStandby(deps, targetId)));
  // A switch that does not happen (lost a race, target not wakeable) leaves the target as it
  // was: not live, so the standby cancelled above is scheduled again rather than lost.
  ctx.compensate("restore-target-standby", async () => {
    if (cancelled.length === 0) return null;
    const live = await findProjectLive(deps.pool, plan.target.projectId);
    if (live?.liveDeploymentId === targetId) return null;
    return { runId: await scheduleStandby(deps, targetId, live?.liveDeploymentId ?? "", ctx.runId) };
  });
  const wakeDeadline = new Date((await ctx.now()).getTime() + deps.settings.readyTimeoutMs);
  await ctx.step(
    "wake-target",
    withTestDelay(deps.settings, "wake-target", (s) => asTerminal(async () => {
      try {
        await wakeDeployment(deps, targetId, wakeDeadline, s.signal);
      } catch (error) {
        if (!isTerminalError(error) || error instanceof NotWakeableError) throw error;
        // Scaled up for nothing: a target in standby goes back to 0 replicas, and the caller
        // gets a code of its own rather than the engine's default (aborted).
        if (await inStandby(deps.pool, targetId)) await scaleDown(deps, targetId, "standby");
        throw codedTerminal(Code.FailedPrecondition, `target ${targetId} could not be woken: ${(error as Error).message}`);
      }
      return null;
    })),
    { isTerminal: isTerminalError, timeoutMs: deps.settings.readyTimeoutMs + 30_000 },
  );
  return ctx.step(
    "switch-domains",
    withTestDelay(deps.settings, "switch-domains", (s) =>
      asTerminal(async () => {
        const domainIds = plan.moveDomains ? await listSwitchableDomainIds(deps.pool, plan.target.projectId, plan.target.environmentId) : [];
        const response = await deps.router.switchDomains(
          {
            targetDeploymentId: targetId,
            domainIds,
            idempotencyKey: `${ctx.runId}:switch`,
            setLive: true,
            rolledBack: plan.rolledBack,
            expectedLiveDeploymentId: plan.expectedLive,
          },
          { signal: s.signal },
        );
        return {
          previousLiveDeploymentId: response.previousLiveDeploymentId,
          liveDeploymentId: targetId,
          routingGeneration: response.routingGeneration.toString(),
        };
      })),
    { isTerminal: isTerminalError },
  );
}

export function rollbackWorkflow(deps: DeployDeps) {
  return defineWorkflow<RollbackInput, SwitchLiveOutput>(ROLLBACK_KIND, async (ctx, input) => {
    const checked = await ctx.step("validate", withTestDelay(deps.settings, "validate", () => asTerminal(() => checkRollback(deps.pool, input))), { isTerminal: isTerminalError });
    return switchLive(ctx, deps, { target: checked.target, expectedLive: input.sourceDeploymentId, rolledBack: true, moveDomains: true });
  });
}

export function promoteWorkflow(deps: DeployDeps) {
  return defineWorkflow<PromoteInput, SwitchLiveOutput>(PROMOTE_KIND, async (ctx, input) => {
    const checked = await ctx.step("validate", withTestDelay(deps.settings, "validate", () => asTerminal(() => checkPromote(deps.pool, input))), { isTerminal: isTerminalError });
    const previousLive = checked.project.liveDeploymentId!;
    // Promoting the live deployment while rolled back just clears the flag (SPEC §3): its LIVE
    // domains are already there, and ENVIRONMENT may rightly follow a newer deploy.
    const moveDomains = checked.target.id !== previousLive;
    const result = await switchLive(ctx, deps, { target: checked.target, expectedLive: previousLive, rolledBack: false, moveDomains });
    await ctx.step(
      "schedule-standby",
      withTestDelay(deps.settings, "schedule-standby", async () => ({
        runId: previousLive !== checked.target.id ? await scheduleStandby(deps, previousLive, checked.target.id, ctx.runId) : null,
      })),
    );
    return result;
  });
}
