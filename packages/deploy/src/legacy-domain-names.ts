import { createHash } from "node:crypto";
import type { Route, RouteInput } from "./routes";

/**
 * The names generated before domain-label.ts (slugs joined by single hyphens — not injective).
 * Kept only so that migrateDomainNames can recognise rows named so; delete once every
 * installation has booted a deploy-svc that migrated them.
 */
const MAX_LABEL = 63;

function legacyBranchSlug(branch: string): string {
  return branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

function legacyFit(fragment: string, original: string, room: number): string {
  if (fragment.length > 0 && fragment.length <= room) return fragment;
  const hash = createHash("sha256").update(original).digest("hex").slice(0, 6);
  const head = fragment.slice(0, Math.max(0, room - hash.length - 1)).replace(/-+$/, "");
  return head ? `${head}-${hash}` : hash.slice(0, room);
}

export function legacyRoutes(input: RouteInput): Route[] {
  const { projectSlug: p, workspaceSlug: w, apex } = input;
  const host = (label: string) => `${label}.${apex}`;
  const routes: Route[] = [];
  const sha = input.commitSha.toLowerCase();
  if (/^[0-9a-f]{7,64}$/.test(sha))
    routes.push({ name: host(`${p}-git-${sha.slice(0, 7)}-${w}`), sticky: "unspecified" });
  else routes.push({ name: host(`${p}-${input.deploymentId.slice(-10)}-${w}`), sticky: "unspecified" });
  if (input.branch) {
    const room = MAX_LABEL - `${p}-git--${w}`.length;
    routes.push({
      name: host(`${p}-git-${legacyFit(legacyBranchSlug(input.branch), input.branch, room)}-${w}`),
      sticky: "branch",
    });
  }
  routes.push({ name: host(`${p}-${input.environmentSlug}-${w}`), sticky: "environment" });
  if (input.production) routes.push({ name: host(`${p}-${w}`), sticky: "live" });
  return routes;
}
