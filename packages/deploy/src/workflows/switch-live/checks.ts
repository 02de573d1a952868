import { Code, ConnectError } from "@connectrpc/connect";
import type { Queryable } from "@hydra/db";
import { promoteRefusal, rollbackRefusal, type DeploymentFacts, type ProjectFacts } from "../../preconditions";
import { findDeploymentFacts } from "../../sql/findDeploymentFacts";
import { findProjectLive } from "../../sql/findProjectLive";

export interface RollbackInput {
  sourceDeploymentId: string;
  targetDeploymentId: string;
}

export interface PromoteInput {
  targetDeploymentId: string;
}

export interface CheckedSwitch {
  target: DeploymentFacts;
  project: ProjectFacts;
}

export async function loadProjectFacts(db: Queryable, projectId: string): Promise<ProjectFacts> {
  const live = await findProjectLive(db, projectId);
  return { id: projectId, liveDeploymentId: live?.liveDeploymentId ?? null, isRolledBack: live?.isRolledBack ?? false };
}

async function requireDeployment(db: Queryable, id: string, role: string): Promise<DeploymentFacts> {
  const facts = await findDeploymentFacts(db, id);
  if (!facts) throw new ConnectError(`${role} deployment ${id} not found`, Code.NotFound);
  return facts;
}

/** Validation shared by the RPC (before any run exists) and the workflow (again, under way). */
export async function checkRollback(db: Queryable, input: RollbackInput): Promise<CheckedSwitch> {
  const source = await requireDeployment(db, input.sourceDeploymentId, "source");
  const target = await requireDeployment(db, input.targetDeploymentId, "target");
  const project = await loadProjectFacts(db, source.projectId);
  const refusal = rollbackRefusal(source, target, project);
  if (refusal) throw new ConnectError(refusal.message, refusal.code);
  return { target, project };
}

export async function checkPromote(db: Queryable, input: PromoteInput): Promise<CheckedSwitch> {
  const target = await requireDeployment(db, input.targetDeploymentId, "target");
  const project = await loadProjectFacts(db, target.projectId);
  const refusal = promoteRefusal(target, project);
  if (refusal) throw new ConnectError(refusal.message, refusal.code);
  return { target, project };
}
