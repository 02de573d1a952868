import type { Queryable } from "@hydra/db";
import { DOMAIN_COLUMNS, type DomainRow } from "./rows";

/** The project's LIVE domains, locked: they follow the live pointer wherever it moves. */
export async function lockLiveDomains(db: Queryable, projectId: string): Promise<DomainRow[]> {
  const { rows } = await db.query<DomainRow>({
    name: "routing_lockLiveDomains",
    text: `SELECT ${DOMAIN_COLUMNS} FROM domains d JOIN deployments dep ON dep.id = d.deployment_id
            WHERE d.project_id = $1 AND d.sticky = 'live' ORDER BY d.name FOR UPDATE OF d`,
    values: [projectId],
  });
  return rows;
}
