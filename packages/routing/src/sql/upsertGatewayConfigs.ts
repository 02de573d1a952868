import type { Queryable } from "@hydra/db";
import type { GatewayConfigJson } from "./rows";

export interface NewGatewayConfig {
  hostname: string;
  workspaceId: string;
  projectId: string;
  environmentId: string | null;
  deploymentId: string;
  config: GatewayConfigJson;
}

/**
 * Inserts or replaces gateway configs in one statement. Each row carries its own values
 * (unnest of parallel arrays, EXCLUDED on conflict) — the original bound the UPDATE values
 * of every row from the first one.
 */
export async function upsertGatewayConfigs(db: Queryable, rows: NewGatewayConfig[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query({
    name: "routing_upsertGatewayConfigs",
    text: `INSERT INTO gateway_configs (hostname, workspace_id, project_id, environment_id, deployment_id, config, updated_at)
           SELECT hostname, workspace_id, project_id, environment_id, deployment_id, config, now()
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
               AS t(hostname, workspace_id, project_id, environment_id, deployment_id, config)
           ON CONFLICT (hostname) DO UPDATE SET
             workspace_id = EXCLUDED.workspace_id,
             project_id = EXCLUDED.project_id,
             environment_id = EXCLUDED.environment_id,
             deployment_id = EXCLUDED.deployment_id,
             config = EXCLUDED.config,
             updated_at = EXCLUDED.updated_at`,
    values: [
      rows.map((r) => r.hostname),
      rows.map((r) => r.workspaceId),
      rows.map((r) => r.projectId),
      rows.map((r) => r.environmentId),
      rows.map((r) => r.deploymentId),
      rows.map((r) => JSON.stringify(r.config)),
    ],
  });
}
