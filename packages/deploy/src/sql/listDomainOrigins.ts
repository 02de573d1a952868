import type { RouteSticky } from "../routes";
import type { Queryable } from "@hydra/db";

/** A domain with the facts its generated name was made from (those of the deployment it points at). */
export interface DomainOriginRow {
  name: string;
  sticky: RouteSticky;
  project_id: string;
  project_slug: string;
  workspace_slug: string;
  environment_slug: string;
  production: boolean;
  branch: string;
  commit_sha: string;
  deployment_id: string;
}

/** Every domain under `apex`, with the facts of its deployment, in name order. */
export async function listDomainOrigins(db: Queryable, apex: string): Promise<DomainOriginRow[]> {
  const result = await db.query<DomainOriginRow>({
    name: "deploy_listDomainOrigins",
    text: `SELECT dom.name, dom.sticky::text AS sticky, dom.project_id, p.slug AS project_slug, w.slug AS workspace_slug,
                  e.slug AS environment_slug, e.production, d.branch, d.commit_sha, d.id AS deployment_id
             FROM domains dom
             JOIN deployments d ON d.id = dom.deployment_id
             JOIN environments e ON e.id = d.environment_id
             JOIN projects p ON p.id = dom.project_id
             JOIN workspaces w ON w.id = p.workspace_id
            WHERE right(dom.name, length($1) + 1) = '.' || $1
            ORDER BY dom.name`,
    values: [apex],
  });
  return result.rows;
}
