import { Code } from "@connectrpc/connect";

/**
 * Rollback and Promote preconditions (SPEC §3), as pure functions over what was loaded, so
 * every rule is one table row in the tests. A refusal carries its Connect code and a message
 * naming the ids.
 */
export interface DeploymentFacts {
  id: string;
  projectId: string;
  environmentId: string;
  /** Whether its environment is the production one. */
  production: boolean;
  status: "pending" | "building" | "deploying" | "network" | "ready" | "failed" | "cancelled" | "superseded";
}

export interface ProjectFacts {
  id: string;
  liveDeploymentId: string | null;
  isRolledBack: boolean;
}

export interface Refusal {
  code: Code;
  message: string;
}

export function rollbackRefusal(
  source: DeploymentFacts,
  target: DeploymentFacts,
  project: ProjectFacts,
): Refusal | undefined {
  if (source.id === target.id) {
    return { code: Code.InvalidArgument, message: `source and target are the same deployment ${source.id}` };
  }
  if (source.projectId !== target.projectId) {
    return {
      code: Code.FailedPrecondition,
      message: `deployments ${source.id} (project ${source.projectId}) and ${target.id} (project ${target.projectId}) belong to different projects`,
    };
  }
  if (source.environmentId !== target.environmentId) {
    return {
      code: Code.FailedPrecondition,
      message: `deployments ${source.id} (environment ${source.environmentId}) and ${target.id} (environment ${target.environmentId}) belong to different environments`,
    };
  }
  if (project.liveDeploymentId !== source.id) {
    return {
      code: Code.FailedPrecondition,
      message: `source ${source.id} is not the live deployment of project ${project.id} (live: ${project.liveDeploymentId ?? "none"})`,
    };
  }
  if (target.status !== "ready") {
    return { code: Code.FailedPrecondition, message: `target ${target.id} is ${target.status}, not ready` };
  }
  return undefined;
}

export function promoteRefusal(target: DeploymentFacts, project: ProjectFacts): Refusal | undefined {
  if (target.status !== "ready") {
    return { code: Code.FailedPrecondition, message: `deployment ${target.id} is ${target.status}, not ready` };
  }
  if (!target.production) {
    return {
      code: Code.FailedPrecondition,
      message: `deployment ${target.id} is not in the production environment of project ${project.id}`,
    };
  }
  if (project.liveDeploymentId === null) {
    return { code: Code.FailedPrecondition, message: `project ${project.id} has no live deployment yet` };
  }
  if (project.liveDeploymentId === target.id && !project.isRolledBack) {
    return {
      code: Code.FailedPrecondition,
      message: `deployment ${target.id} is already live in project ${project.id}`,
    };
  }
  return undefined;
}
