import { DomainSticky } from "@hydra/proto/hydra/v1";

/** The stored form of a sticky level (the `domain_sticky` enum in Postgres). */
export type StickyLevel = "unspecified" | "branch" | "environment" | "live";

const FROM_PROTO: Record<DomainSticky, StickyLevel> = {
  [DomainSticky.UNSPECIFIED]: "unspecified",
  [DomainSticky.BRANCH]: "branch",
  [DomainSticky.ENVIRONMENT]: "environment",
  [DomainSticky.LIVE]: "live",
};

/** Undefined for a number that is not a DomainSticky value (a newer client's enum, or junk). */
export function stickyFromProto(value: DomainSticky): StickyLevel | undefined {
  return FROM_PROTO[value];
}

export function stickyToProto(level: StickyLevel): DomainSticky {
  switch (level) {
    case "unspecified":
      return DomainSticky.UNSPECIFIED;
    case "branch":
      return DomainSticky.BRANCH;
    case "environment":
      return DomainSticky.ENVIRONMENT;
    case "live":
      return DomainSticky.LIVE;
  }
}

/** A domain as it is stored, with the creation sequence of the deployment it points at. */
export interface ExistingDomain {
  workspaceId: string;
  projectId: string;
  deploymentId: string;
  sticky: StickyLevel;
  deploymentSequence: bigint;
}

/** What AssignDomains wants for one domain. */
export interface DomainClaim {
  workspaceId: string;
  projectId: string;
  deploymentId: string;
  /** The requested level; for an existing domain the stored level decides. */
  sticky: StickyLevel;
  deploymentSequence: bigint;
  /** The live pointer moves to this deployment in the same transaction. */
  movesLive: boolean;
}

export type AssignDecision =
  | { action: "insert" }
  | { action: "reassign" }
  | { action: "unchanged" }
  | { action: "refuse"; reason: string }
  | { action: "skip"; reason: string };

/**
 * What AssignDomains does with one domain (SPEC §3 Routing). Pure, so the rules are tested
 * as a table; the caller applies them inside the project's transaction, where they cannot
 * race.
 *
 * - Another workspace's or project's domain is refused, never moved.
 * - A LIVE domain follows the project's live pointer: it moves only when the live pointer
 *   moves to this deployment in the same transaction (so never while rolled back, and never
 *   to a deployment older than the live one). This keeps "live pointer = deployment of the
 *   LIVE domains" true by construction.
 * - A per-commit (UNSPECIFIED) domain is assigned once and never moves.
 * - A BRANCH or ENVIRONMENT domain pointing at a newer deployment stays (newest wins).
 */
export function decideAssignment(claim: DomainClaim, existing: ExistingDomain | undefined): AssignDecision {
  if (!existing) {
    if (claim.sticky === "live" && !claim.movesLive) {
      return { action: "skip", reason: "a LIVE domain is only created together with the live pointer" };
    }
    return { action: "insert" };
  }
  if (existing.workspaceId !== claim.workspaceId || existing.projectId !== claim.projectId) {
    return { action: "refuse", reason: `belongs to workspace ${existing.workspaceId}, project ${existing.projectId}` };
  }
  if (existing.deploymentId === claim.deploymentId) return { action: "unchanged" };
  switch (existing.sticky) {
    case "unspecified":
      return { action: "skip", reason: `per-commit domain already assigned to ${existing.deploymentId}` };
    case "live":
      if (!claim.movesLive) return { action: "skip", reason: "LIVE domains move only with the live pointer" };
      return { action: "reassign" };
    case "branch":
    case "environment":
      if (existing.deploymentSequence > claim.deploymentSequence) {
        return { action: "skip", reason: `points at newer deployment ${existing.deploymentId}` };
      }
      return { action: "reassign" };
  }
}

/** Live-pointer facts AssignDomains' `set_live` decides on. */
export interface LiveState {
  rolledBack: boolean;
  /** Creation sequence of the current live deployment, if any. */
  liveSequence: bigint | undefined;
}

/**
 * Whether `set_live` moves the live pointer to a deployment with `sequence`: never while the
 * project is rolled back (stored flag or the caller's), never backwards (newest wins).
 */
export function setLiveTakesEffect(requested: boolean, state: LiveState, sequence: bigint): boolean {
  if (!requested || state.rolledBack) return false;
  return state.liveSequence === undefined || sequence >= state.liveSequence;
}
