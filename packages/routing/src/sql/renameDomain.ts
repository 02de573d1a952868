import type { Queryable } from "@hydra/db";
import type { GatewayConfigRow } from "./rows";

/** Renames one of the project's domains and its gateway config (keyed by hostname) together; returns the renamed config, if it had one. */
export async function renameDomain(
  db: Queryable,
  projectId: string,
  from: string,
  to: string,
): Promise<GatewayConfigRow | undefined> {
  const { rows } = await db.query<GatewayConfigRow>({
    name: "routing_renameDomain",
    text: `WITH renamed AS (
             UPDATE domains SET name = $3, updated_at = now() WHERE project_id = $1 AND name = $2 RETURNING id
           )
           UPDATE gateway_configs SET hostname = $3, updated_at = now() WHERE project_id = $1 AND hostname = $2
             RETURNING hostname, deployment_id, config`,
    values: [projectId, from, to],
  });
  return rows[0];
}
