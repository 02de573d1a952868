import { DomainSticky } from "@hydra/proto/hydra/v1";
import {
  type AssignDecision,
  decideAssignment,
  type DomainClaim,
  type ExistingDomain,
  setLiveTakesEffect,
  type StickyLevel,
  stickyFromProto,
  stickyToProto,
} from "./sticky";

const claimBase: DomainClaim = {
  workspaceId: "ws_a",
  projectId: "prj_a",
  deploymentId: "dep_new",
  sticky: "environment",
  deploymentSequence: 5n,
  movesLive: false,
};
const existingBase: ExistingDomain = {
  workspaceId: "ws_a",
  projectId: "prj_a",
  deploymentId: "dep_old",
  sticky: "environment",
  deploymentSequence: 3n,
};

describe("decideAssignment", () => {
  it.each<[string, Partial<DomainClaim>, Partial<ExistingDomain> | undefined, AssignDecision["action"]]>([
    ["new commit domain", { sticky: "unspecified" }, undefined, "insert"],
    ["new branch domain", { sticky: "branch" }, undefined, "insert"],
    ["new environment domain", {}, undefined, "insert"],
    ["new LIVE domain with the live pointer", { sticky: "live", movesLive: true }, undefined, "insert"],
    ["new LIVE domain without the live pointer", { sticky: "live" }, undefined, "skip"],
    ["another workspace's domain", {}, { workspaceId: "ws_b", projectId: "prj_b" }, "refuse"],
    ["another project's domain, same workspace", {}, { projectId: "prj_b" }, "refuse"],
    [
      "another project's domain even when it would be skipped",
      { sticky: "live" },
      { projectId: "prj_b", sticky: "live" },
      "refuse",
    ],
    ["already pointing here", {}, { deploymentId: "dep_new" }, "unchanged"],
    ["commit domain never moves", { sticky: "unspecified" }, { sticky: "unspecified" }, "skip"],
    ["commit domain never moves, even if asked as environment", {}, { sticky: "unspecified" }, "skip"],
    ["environment domain of an older deployment", {}, {}, "reassign"],
    ["environment domain of a newer deployment", {}, { deploymentSequence: 9n }, "skip"],
    ["branch domain of an older deployment", { sticky: "branch" }, { sticky: "branch" }, "reassign"],
    ["branch domain of a newer deployment", { sticky: "branch" }, { sticky: "branch", deploymentSequence: 6n }, "skip"],
    [
      "branch domain of the same sequence",
      { sticky: "branch" },
      { sticky: "branch", deploymentSequence: 5n },
      "reassign",
    ],
    ["LIVE domain with the live pointer", { sticky: "live", movesLive: true }, { sticky: "live" }, "reassign"],
    ["LIVE domain without the live pointer (rolled back or older)", { sticky: "live" }, { sticky: "live" }, "skip"],
  ])("%s", (_name, claim, existing, action) => {
    const decision = decideAssignment(
      { ...claimBase, ...claim },
      existing ? { ...existingBase, ...existing } : undefined,
    );
    expect(decision.action).toBe(action);
  });
});

describe("setLiveTakesEffect", () => {
  it.each<[string, boolean, boolean, bigint | undefined, bigint, boolean]>([
    ["not asked", false, false, undefined, 1n, false],
    ["first live deployment", true, false, undefined, 1n, true],
    ["newer than live", true, false, 3n, 4n, true],
    ["same as live", true, false, 4n, 4n, true],
    ["older than live (newest wins)", true, false, 5n, 4n, false],
    ["rolled back", true, true, 3n, 4n, false],
  ])("%s", (_name, requested, rolledBack, liveSequence, sequence, expected) => {
    expect(setLiveTakesEffect(requested, { rolledBack, liveSequence }, sequence)).toBe(expected);
  });
});

describe("sticky levels", () => {
  it.each<[DomainSticky, StickyLevel]>([
    [DomainSticky.UNSPECIFIED, "unspecified"],
    [DomainSticky.BRANCH, "branch"],
    [DomainSticky.ENVIRONMENT, "environment"],
    [DomainSticky.LIVE, "live"],
  ])("%s ↔ %s", (proto, level) => {
    expect(stickyFromProto(proto)).toBe(level);
    expect(stickyToProto(level)).toBe(proto);
  });

  it("rejects values outside the enum", () => {
    expect(stickyFromProto(42 as DomainSticky)).toBeUndefined();
  });
});
