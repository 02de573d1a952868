import type { StickyLevel } from "@hydra/routing";
import { domainLabel, type DomainLabelKind } from "./domain-label";

/**
 * The domains a deployment gets (SPEC §3 step 9). Deterministic: the same deployment always
 * yields the same names in the same order, so a replayed `build-routes` step matches its
 * journal (the original computed a random suffix here and broke replay).
 */
export type RouteSticky = StickyLevel;

export interface Route {
  name: string;
  sticky: RouteSticky;
}

export interface RouteInput {
  projectSlug: string;
  workspaceSlug: string;
  environmentSlug: string;
  production: boolean;
  branch: string;
  /** Full or short commit sha; empty when the deployment has no commit. */
  commitSha: string;
  /** Used for the per-deployment domain when there is no commit. */
  deploymentId: string;
  apex: string;
}

/**
 * The generated names, one per kind (see domain-label.ts for why they are injective). The
 * commit domain uses the sha7 of a full or short sha; without a commit, the deployment id.
 */
export function buildRoutes(input: RouteInput): Route[] {
  const owner = { projectSlug: input.projectSlug, workspaceSlug: input.workspaceSlug };
  const host = (kind: DomainLabelKind) => `${domainLabel({ ...owner, ...kind })}.${input.apex}`;
  const routes: Route[] = [];

  const sha = input.commitSha.toLowerCase();
  routes.push({
    name: host(
      /^[0-9a-f]{7,64}$/.test(sha)
        ? { kind: "commit", sha7: sha.slice(0, 7) }
        : { kind: "deployment", deploymentId: input.deploymentId },
    ),
    sticky: "unspecified",
  });
  if (input.branch) routes.push({ name: host({ kind: "branch", branch: input.branch }), sticky: "branch" });
  routes.push({ name: host({ kind: "environment", environmentSlug: input.environmentSlug }), sticky: "environment" });
  if (input.production) routes.push({ name: host({ kind: "live" }), sticky: "live" });
  return routes;
}
