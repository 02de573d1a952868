import type { Queryable } from "@hydra/db";
import type { DeploymentSource, DeploymentStatus } from "./rows";

/** What the Deploy workflow needs to know, read once in `load-metadata` and recorded. */
export interface DeployMetadata {
  deployment: {
    id: string;
    sequence: string;
    status: DeploymentStatus;
    branch: string;
    commitSha: string;
    source: DeploymentSource;
    command: string[];
    /** The image built or given (null before the build step). */
    image: string | null;
    /** A cancel (or supersede) was claimed on the row; its reason. */
    cancelRequested: boolean;
    cancelReason: string | null;
  };
  workspace: { id: string; slug: string };
  project: { id: string; slug: string };
  environment: { id: string; slug: string; production: boolean; regions: Record<string, number> };
}

interface Row {
  id: string;
  sequence: bigint;
  status: DeploymentStatus;
  branch: string;
  commit_sha: string;
  source: DeploymentSource;
  command: string[];
  image: string | null;
  cancel_requested: boolean;
  cancel_reason: string | null;
  workspace_id: string;
  workspace_slug: string;
  project_id: string;
  project_slug: string;
  environment_id: string;
  environment_slug: string;
  production: boolean;
  regions: Record<string, number>;
}

export async function loadDeployMetadata(db: Queryable, deploymentId: string): Promise<DeployMetadata | null> {
  const result = await db.query<Row>({
    name: "deploy_loadDeployMetadata",
    text: `SELECT d.id, d.sequence, d.status, d.branch, d.commit_sha, d.source, d.command, d.image,
                  d.cancel_requested_at IS NOT NULL AS cancel_requested, d.cancel_reason,
                  w.id AS workspace_id, w.slug AS workspace_slug, p.id AS project_id, p.slug AS project_slug,
                  e.id AS environment_id, e.slug AS environment_slug, e.production, e.regions
           FROM deployments d
           JOIN projects p ON p.id = d.project_id
           JOIN workspaces w ON w.id = d.workspace_id
           JOIN environments e ON e.id = d.environment_id
           WHERE d.id = $1`,
    values: [deploymentId],
  });
  const r = result.rows[0];
  if (!r) return null;
  return {
    deployment: {
      id: r.id,
      // JSON has no bigint: recorded as a string.
      sequence: r.sequence.toString(),
      status: r.status,
      branch: r.branch,
      commitSha: r.commit_sha,
      source: r.source,
      command: r.command,
      image: r.image,
      cancelRequested: r.cancel_requested,
      cancelReason: r.cancel_reason,
    },
    workspace: { id: r.workspace_id, slug: r.workspace_slug },
    project: { id: r.project_id, slug: r.project_slug },
    environment: { id: r.environment_id, slug: r.environment_slug, production: r.production, regions: r.regions },
  };
}
