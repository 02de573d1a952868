import type { Queryable } from "@hydra/db";
import type { StickyLevel } from "../sticky";

export interface NewDomain {
  id: string;
  name: string;
  workspaceId: string;
  projectId: string;
  environmentId: string;
  deploymentId: string;
  sticky: StickyLevel;
}

/** Inserts new domains in one statement; every row carries its own values (unnest of arrays). */
export async function insertDomains(db: Queryable, domains: NewDomain[]): Promise<void> {
  if (domains.length === 0) return;
  await db.query({
    name: "routing_insertDomains",
    text: `INSERT INTO domains (id, name, workspace_id, project_id, environment_id, deployment_id, sticky, created_at, updated_at)
           SELECT id, name, workspace_id, project_id, environment_id, deployment_id, sticky::domain_sticky, now(), now()
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
               AS t(id, name, workspace_id, project_id, environment_id, deployment_id, sticky)`,
    values: [
      domains.map((d) => d.id),
      domains.map((d) => d.name),
      domains.map((d) => d.workspaceId),
      domains.map((d) => d.projectId),
      domains.map((d) => d.environmentId),
      domains.map((d) => d.deploymentId),
      domains.map((d) => d.sticky),
    ],
  });
}
