import type { Queryable } from "@hydra/db";
import { DOMAIN_COLUMNS, type DomainRow } from "./rows";

/**
 * Domains by name, locked for this transaction. Rows of other projects are read too, so that
 * AssignDomains can refuse to take them.
 */
export async function lockDomainsByName(db: Queryable, names: string[]): Promise<DomainRow[]> {
  if (names.length === 0) return [];
  const { rows } = await db.query<DomainRow>({
    name: "routing_lockDomainsByName",
    text: `SELECT ${DOMAIN_COLUMNS} FROM domains d JOIN deployments dep ON dep.id = d.deployment_id
            WHERE d.name = ANY($1::text[]) ORDER BY d.name FOR UPDATE OF d`,
    values: [names],
  });
  return rows;
}
