import { isDeepStrictEqual } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { isId, newId, type Pool } from "@hydra/db";
import type { CheckedDeploymentInput } from "./deployment-input";
import { findDeployment } from "./sql/findDeployment";
import { findDeploymentByIdempotencyKey } from "./sql/findDeploymentByIdempotencyKey";
import { insertDeployment } from "./sql/insertDeployment";
import { listDeployments } from "./sql/listDeployments";
import { listDomainsOfDeployment, type DomainRow } from "./sql/listDomainsOfDeployment";
import { listInstances, type InstanceRow } from "./sql/listInstances";
import { listTopologies, type TopologyRow } from "./sql/listTopologies";
import { projectExists } from "./sql/projectExists";
import type { DeploymentRow } from "./sql/rows";

/** The workflow id of a deployment's Deploy run: stable, so Deploy is idempotent per deployment. */
export function deployWorkflowId(deploymentId: string): string {
  return `deploy:${deploymentId}`;
}

export interface DeploymentDetails {
  deployment: DeploymentRow;
  topologies: TopologyRow[];
  instances: InstanceRow[];
  domains: DomainRow[];
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

function sameRequest(row: DeploymentRow, input: CheckedDeploymentInput): boolean {
  return (
    row.environment_slug === input.environmentSlug &&
    row.branch === input.branch &&
    row.commit_sha === input.commitSha &&
    // Deep equality, not JSON text: jsonb hands the stored source back with its keys reordered.
    isDeepStrictEqual(row.source, input.source) &&
    isDeepStrictEqual(row.command, input.command)
  );
}

export class DeploymentStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Inserts the deployment row (PENDING). A repeated idempotency key returns the first
   * call's deployment when the request is the same, and `already_exists` when it differs.
   */
  async create(input: CheckedDeploymentInput): Promise<{ deployment: DeploymentRow; created: boolean }> {
    const env = await this.pool.query<{ id: string; project_exists: boolean }>({
      name: "deploy_findEnvironment",
      text: `SELECT p.id AS project_id, e.id FROM projects p LEFT JOIN environments e ON e.project_id = p.id AND e.slug = $2 WHERE p.id = $1`,
      values: [input.projectId, input.environmentSlug],
    });
    if (env.rowCount === 0) throw new ConnectError(`project ${input.projectId} not found`, Code.NotFound);
    const environmentId = env.rows[0]!.id;
    if (!environmentId) {
      throw new ConnectError(
        `environment "${input.environmentSlug}" not found in project ${input.projectId} (production, preview)`,
        Code.NotFound,
      );
    }

    if (input.idempotencyKey) {
      const existing = await findDeploymentByIdempotencyKey(this.pool, input.projectId, input.idempotencyKey);
      if (existing) return { deployment: this.checkRepeat(existing, input), created: false };
    }
    const id = newId("deployment");
    const inserted = await insertDeployment(this.pool, {
      ...input,
      id,
      environmentId,
      workflowId: deployWorkflowId(id),
    });
    if (inserted) return { deployment: inserted, created: true };
    // Lost a race on the idempotency key: the winner's deployment is the answer.
    const winner = await findDeploymentByIdempotencyKey(this.pool, input.projectId, input.idempotencyKey!);
    if (!winner)
      throw new ConnectError(`deployment with idempotency key "${input.idempotencyKey}" vanished`, Code.Aborted);
    return { deployment: this.checkRepeat(winner, input), created: false };
  }

  private checkRepeat(existing: DeploymentRow, input: CheckedDeploymentInput): DeploymentRow {
    if (!sameRequest(existing, input)) {
      throw new ConnectError(
        `idempotency key "${input.idempotencyKey}" was used for deployment ${existing.id} with a different request`,
        Code.AlreadyExists,
      );
    }
    return existing;
  }

  async get(deploymentId: string): Promise<DeploymentRow> {
    if (!isId("deployment", deploymentId)) {
      throw new ConnectError(`deployment_id "${deploymentId}" is not a deployment id (dep_…)`, Code.InvalidArgument);
    }
    const row = await findDeployment(this.pool, deploymentId);
    if (!row) throw new ConnectError(`deployment ${deploymentId} not found`, Code.NotFound);
    return row;
  }

  async details(deploymentId: string): Promise<DeploymentDetails> {
    const deployment = await this.get(deploymentId);
    const [topologies, instances, domains] = await Promise.all([
      listTopologies(this.pool, deploymentId),
      listInstances(this.pool, deploymentId),
      listDomainsOfDeployment(this.pool, deploymentId),
    ]);
    return { deployment, topologies, instances, domains };
  }

  /** A page of a project's deployments, newest first. The token is opaque to callers. */
  async list(params: {
    projectId: string;
    environmentSlug: string;
    pageSize: number;
    pageToken: string;
  }): Promise<{ deployments: DeploymentRow[]; nextPageToken: string }> {
    if (!isId("project", params.projectId)) {
      throw new ConnectError(`project_id "${params.projectId}" is not a project id (prj_…)`, Code.InvalidArgument);
    }
    if (params.pageSize > MAX_PAGE_SIZE) {
      throw new ConnectError(`page_size ${params.pageSize} is above ${MAX_PAGE_SIZE}`, Code.InvalidArgument);
    }
    const limit = params.pageSize || DEFAULT_PAGE_SIZE;
    const beforeSequence = params.pageToken ? decodePageToken(params.pageToken) : null;
    if (!(await projectExists(this.pool, params.projectId)))
      throw new ConnectError(`project ${params.projectId} not found`, Code.NotFound);
    const rows = await listDeployments(this.pool, {
      projectId: params.projectId,
      environmentSlug: params.environmentSlug || null,
      beforeSequence,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const nextPageToken = rows.length > limit ? encodePageToken(page[page.length - 1]!.sequence) : "";
    return { deployments: page, nextPageToken };
  }
}

function encodePageToken(sequence: bigint): string {
  return Buffer.from(`seq:${sequence}`).toString("base64url");
}

function decodePageToken(token: string): bigint {
  const match = /^seq:(\d{1,19})$/.exec(Buffer.from(token, "base64url").toString());
  // 19 digits can still exceed a bigint: refuse here rather than fail in Postgres.
  if (!match || BigInt(match[1]!) > 9_223_372_036_854_775_807n) {
    throw new ConnectError(`page_token "${token}" is not a token this API returned`, Code.InvalidArgument);
  }
  return BigInt(match[1]!);
}
