import type { Pool } from "@hydra/db";
import { type DomainRename, renameDomains, type RenameOutcome } from "@hydra/routing";
import { legacyRoutes } from "./legacy-domain-names";
import { buildRoutes, type RouteInput } from "./routes";
import { type DomainOriginRow, listDomainOrigins } from "./sql/listDomainOrigins";

function routeInput(row: DomainOriginRow, apex: string): RouteInput {
  return {
    projectSlug: row.project_slug,
    workspaceSlug: row.workspace_slug,
    environmentSlug: row.environment_slug,
    production: row.production,
    branch: row.branch,
    commitSha: row.commit_sha,
    deploymentId: row.deployment_id,
    apex,
  };
}

/** The rename a domain needs: its name is the old-scheme name of its deployment, and differs from the new one. */
export function domainRename(row: DomainOriginRow, apex: string): DomainRename | undefined {
  const input = routeInput(row, apex);
  const legacy = legacyRoutes(input).find((route) => route.sticky === row.sticky)?.name;
  const current = buildRoutes(input).find((route) => route.sticky === row.sticky)?.name;
  if (legacy !== row.name || !current || current === row.name) return undefined;
  return { from: row.name, to: current };
}

/**
 * Moves domains named by the old (non-injective) scheme to their new names, project by
 * project, each in one routing transaction (see renameDomains). Run at deploy-svc start;
 * repeatable, so several instances starting at once are harmless. Only names that equal the
 * old name of the deployment they point at move: the owner of a contested old name keeps
 * serving (under its new name), and the tenant that was refused it gets its own on its next deploy.
 */
export async function migrateDomainNames(pool: Pool, apex: string): Promise<RenameOutcome> {
  const byProject = new Map<string, DomainRename[]>();
  for (const row of await listDomainOrigins(pool, apex)) {
    const rename = domainRename(row, apex);
    if (rename) byProject.set(row.project_id, [...(byProject.get(row.project_id) ?? []), rename]);
  }
  const total: RenameOutcome = { renamed: [], dropped: [], refused: [] };
  for (const [projectId, renames] of byProject) {
    const outcome = await renameDomains(pool, projectId, renames);
    total.renamed.push(...outcome.renamed);
    total.dropped.push(...outcome.dropped);
    total.refused.push(...outcome.refused);
  }
  return total;
}
