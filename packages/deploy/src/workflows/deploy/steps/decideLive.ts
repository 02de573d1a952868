import type { Route } from "../../../routes";
import type { AssignedRoutes } from "./assignRoutes";

export interface LiveOutcome {
  isLive: boolean;
  /** The deployment this one replaced as live (it goes to standby). */
  previousLive: string | null;
}

/**
 * Step `update-live`. The live pointer moved (or not) inside the routing transaction of
 * assign-routes, with the LIVE domain: that transaction's answer, not the pointer now (a newer
 * deploy may have taken it since), says whether this deployment replaced the previous live one.
 */
export function decideLive(deploymentId: string, routes: Route[], assigned: AssignedRoutes): LiveOutcome {
  // Any LIVE name: `routes` may hold the names of two schemes (routedNamesEitherScheme).
  const tookLive = routes.some((r) => r.sticky === "live" && assigned.changed.includes(r.name));
  const previousLive =
    tookLive && assigned.previousLive && assigned.previousLive !== deploymentId ? assigned.previousLive : null;
  return { isLive: tookLive, previousLive };
}
