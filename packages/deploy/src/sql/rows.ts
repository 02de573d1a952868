export type DeploymentStatus =
  "pending" | "building" | "deploying" | "network" | "ready" | "failed" | "cancelled" | "superseded";
export const TERMINAL_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = ["ready", "failed", "cancelled", "superseded"];

/** Deployment events travel on this channel as JSON `{ deployment_id, event_id }`. */
export const EVENTS_CHANNEL = "hydra_deployment_events";

export interface DeploymentSource {
  git?: {
    installationId: string;
    repository: string;
    commitSha: string;
    contextPath: string;
    dockerfilePath: string;
    branch: string;
  };
  dockerImage?: { image: string };
}

export interface DeploymentRow {
  id: string;
  workspace_id: string;
  project_id: string;
  environment_id: string;
  environment_slug: string;
  production: boolean;
  sequence: bigint;
  branch: string;
  commit_sha: string;
  commit_message: string;
  author_handle: string;
  commit_at: Date | null;
  source: DeploymentSource;
  command: string[];
  image: string | null;
  status: DeploymentStatus;
  desired_state: "running" | "standby" | "archived";
  failure_reason: string | null;
  failed_step: string | null;
  gateway_config: unknown;
  workflow_id: string | null;
  idempotency_key: string | null;
  cancel_requested_at: Date | null;
  cancel_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

/** Columns of a deployment with its environment's slug and production flag. */
export const DEPLOYMENT_COLUMNS = `
  d.id, d.workspace_id, d.project_id, d.environment_id, e.slug AS environment_slug, e.production,
  d.sequence, d.branch, d.commit_sha, d.commit_message, d.author_handle, d.commit_at, d.source,
  d.command, d.image, d.status, d.desired_state, d.failure_reason, d.failed_step, d.gateway_config,
  d.workflow_id, d.idempotency_key, d.cancel_requested_at, d.cancel_reason, d.created_at, d.updated_at`;

export interface DeploymentEventRow {
  id: bigint;
  deployment_id: string;
  kind: "step" | "status";
  payload: Record<string, unknown>;
  created_at: Date;
}
