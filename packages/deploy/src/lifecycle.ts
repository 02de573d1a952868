import type { StickyLevel } from "@hydra/routing";

/**
 * Which deployments run (SPEC §1 "Lifecycle of a deployment's workloads"), as one pure rule:
 * the live deployment; the deployment behind each LIVE, BRANCH or ENVIRONMENT domain (routing
 * keeps those on the newest, so "behind" is "newest behind"); whatever a switch in progress
 * moves to. Every other READY deployment goes to standby after HYDRA_STANDBY_DELAY; its
 * per-commit (UNSPECIFIED) domains wake it on request.
 */
export interface RunFacts {
  /** The project's live pointer names it. */
  live: boolean;
  /** The sticky levels of the domains pointing at it now. */
  domains: readonly StickyLevel[];
  /** A Rollback or Promote to it is under way (it cancelled the deployment's standby timer). */
  switchTarget: boolean;
}

export type RunReason =
  "live" | "switch-target" | "behind-live-domain" | "behind-environment-domain" | "behind-branch-domain";

/** Why the deployment must keep running, or null when it goes to standby. */
export function runReason(facts: RunFacts): RunReason | null {
  if (facts.live) return "live";
  if (facts.switchTarget) return "switch-target";
  if (facts.domains.includes("live")) return "behind-live-domain";
  if (facts.domains.includes("environment")) return "behind-environment-domain";
  if (facts.domains.includes("branch")) return "behind-branch-domain";
  return null;
}
