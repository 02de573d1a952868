import { createHash } from "node:crypto";

/**
 * The domains a deployment gets (SPEC §3 step 9). Deterministic: the same deployment always
 * yields the same names in the same order, so a replayed `build-routes` step matches its
 * journal (the original computed a random suffix here and broke replay).
 */
export type RouteSticky = "unspecified" | "branch" | "environment" | "live";

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

const MAX_LABEL = 63;

/** A branch name as a DNS label fragment: "feature/Login_v2" → "feature-login-v2". */
export function slugifyBranch(branch: string): string {
  return branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

function shortHash(value: string, length: number): string {
  return createHash("sha256").update(value).digest("hex").slice(0, length);
}

/**
 * Fits `fragment` into `room` characters; when it has to be cut (or is empty), a hash of the
 * original keeps distinct branches distinct.
 */
function fit(fragment: string, original: string, room: number): string {
  if (fragment.length > 0 && fragment.length <= room) return fragment;
  const hash = shortHash(original, 6);
  const head = fragment.slice(0, Math.max(0, room - hash.length - 1)).replace(/-+$/, "");
  return head ? `${head}-${hash}` : hash.slice(0, room);
}

export function buildRoutes(input: RouteInput): Route[] {
  const { projectSlug: p, workspaceSlug: w, apex } = input;
  const host = (label: string) => `${label}.${apex}`;
  const routes: Route[] = [];

  const sha = input.commitSha.toLowerCase();
  if (/^[0-9a-f]{7,64}$/.test(sha)) {
    routes.push({ name: host(`${p}-git-${sha.slice(0, 7)}-${w}`), sticky: "unspecified" });
  } else {
    // No commit: a per-deployment domain still gives every deployment its own URL.
    const suffix = input.deploymentId.slice(-10);
    routes.push({ name: host(`${p}-${suffix}-${w}`), sticky: "unspecified" });
  }

  if (input.branch) {
    const room = MAX_LABEL - `${p}-git--${w}`.length;
    const branch = fit(slugifyBranch(input.branch), input.branch, room);
    routes.push({ name: host(`${p}-git-${branch}-${w}`), sticky: "branch" });
  }

  routes.push({ name: host(`${p}-${input.environmentSlug}-${w}`), sticky: "environment" });
  if (input.production) routes.push({ name: host(`${p}-${w}`), sticky: "live" });
  return routes;
}
