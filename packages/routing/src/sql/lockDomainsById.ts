import type { Queryable } from "@hydra/db";
import { DOMAIN_COLUMNS, type DomainRow } from "./rows";

/** Domains by id, locked for this transaction (SwitchDomains checks their project itself). */
export async function lockDomainsById(db: Queryable, ids: string[]): Promise<DomainRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<DomainRow>({
    name: "routing_lockDomainsById",
    text: `SELECT ${DOMAIN_COLUMNS} FROM domains d JOIN deployments dep ON dep.id = d.deployment_id
            WHERE d.id = ANY($1::text[]) ORDER BY d.name FOR UPDATE OF d`,
    values: [ids],
  });
  return rows;
}
