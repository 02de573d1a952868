import type { StickyLevel } from "@hydra/routing";
import { runReason, type RunReason } from "./lifecycle";

describe("runReason: which deployments run", () => {
  it.each<[string, boolean, StickyLevel[], boolean, RunReason | null]>([
    ["the live deployment", true, ["live", "environment", "branch", "unspecified"], false, "live"],
    ["the live deployment with no domains yet", true, [], false, "live"],
    ["a switch moving to it (waking it)", false, ["unspecified"], true, "switch-target"],
    ["behind a LIVE domain (the pointer is checked separately)", false, ["live"], false, "behind-live-domain"],
    [
      "rolled-back-from but still behind the ENVIRONMENT domain",
      false,
      ["environment", "unspecified"],
      false,
      "behind-environment-domain",
    ],
    ["the newest of its branch (BRANCH domain)", false, ["branch", "unspecified"], false, "behind-branch-domain"],
    ["a preview that is no longer the newest of its branch", false, ["unspecified"], false, null],
    ["rolled-back-from, its branch taken by a newer deployment", false, ["unspecified"], false, null],
    ["no domains at all", false, [], false, null],
  ])("%s", (_what, live, domains, switchTarget, expected) => {
    expect(runReason({ live, domains, switchTarget })).toBe(expected);
  });
});
