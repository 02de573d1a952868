import type { Route } from "../../../routes";
import { decideLive } from "./decideLive";

const routes: Route[] = [
  { name: "p-git-abc1234-w.hydra.run", sticky: "unspecified" },
  { name: "p-production-w.hydra.run", sticky: "environment" },
  { name: "p-w.hydra.run", sticky: "live" },
];
const preview: Route[] = routes.filter((r) => r.sticky !== "live");

describe("decideLive (update-live)", () => {
  it.each([
    [
      "took the LIVE domain from another deployment",
      routes,
      ["p-w.hydra.run"],
      "dep_old",
      { isLive: true, previousLive: "dep_old" },
    ],
    [
      "took the LIVE domain of a project that had no live deployment",
      routes,
      ["p-w.hydra.run"],
      "",
      { isLive: true, previousLive: null },
    ],
    [
      "replayed: the previous live is this deployment",
      routes,
      ["p-w.hydra.run"],
      "dep_me",
      { isLive: true, previousLive: null },
    ],
    [
      "LIVE domain skipped (rolled back, or a newer one is live)",
      routes,
      ["p-production-w.hydra.run"],
      "dep_old",
      { isLive: false, previousLive: null },
    ],
    [
      "the LIVE name of an older scheme, recorded before an upgrade, was the one taken",
      [...routes, { name: "p-w-old.hydra.run", sticky: "live" as const }],
      ["p-w-old.hydra.run"],
      "dep_old",
      { isLive: true, previousLive: "dep_old" },
    ],
    [
      "a preview has no LIVE domain",
      preview,
      ["p-production-w.hydra.run"],
      "dep_old",
      { isLive: false, previousLive: null },
    ],
  ])("%s", (_what, planned, changed, previousLive, expected) => {
    expect(decideLive("dep_me", planned, { changed, generation: "7", previousLive })).toEqual(expected);
  });
});
