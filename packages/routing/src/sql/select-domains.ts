import type { StickyLevel } from "../sticky";
import type { Queryable } from "./queryable";

export interface DomainRow {
  id: string;
  name: string;
  workspaceId: string;
  projectId: string;
  environmentId: string | null;
  deploymentId: string;
  sticky: StickyLevel;
  /** Creation sequence of the deployment the domain points at. */
  deploymentSequence: bigint;
}

const COLUMNS = `d.id, d.name, d.workspace_id AS "workspaceId", d.project_id AS "projectId",
  d.environment_id AS "environmentId", d.deployment_id AS "deploymentId", d.sticky::text AS sticky,
  dep.sequence AS "deploymentSequence"`;

/**
 * Domains by name, locked for this transaction. Rows of other projects are read too, so that
 * AssignDomains can refuse to take them.
 */
export async function selectDomainsByName(db: Queryable, names: string[]): Promise<DomainRow[]> {
  if (names.length === 0) return [];
  const { rows } = await db.query<DomainRow>(
    `SELECT ${COLUMNS} FROM domains d JOIN deployments dep ON dep.id = d.deployment_id
      WHERE d.name = ANY($1::text[]) ORDER BY d.name FOR UPDATE OF d`,
    [names],
  );
  return rows;
}

export async function selectDomainsById(db: Queryable, ids: string[]): Promise<DomainRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<DomainRow>(
    `SELECT ${COLUMNS} FROM domains d JOIN deployments dep ON dep.id = d.deployment_id
      WHERE d.id = ANY($1::text[]) ORDER BY d.name FOR UPDATE OF d`,
    [ids],
  );
  return rows;
}

/** The project's LIVE domains: they follow the live pointer wherever it moves. */
export async function selectLiveDomains(db: Queryable, projectId: string): Promise<DomainRow[]> {
  const { rows } = await db.query<DomainRow>(
    `SELECT ${COLUMNS} FROM domains d JOIN deployments dep ON dep.id = d.deployment_id
      WHERE d.project_id = $1 AND d.sticky = 'live' ORDER BY d.name FOR UPDATE OF d`,
    [projectId],
  );
  return rows;
}
