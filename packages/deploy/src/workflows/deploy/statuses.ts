import type { DeploymentStatus } from "../../sql/rows";

/** Statuses a deployment may leave for a terminal one (a terminal status is never left). */
export const ACTIVE_STATUSES: DeploymentStatus[] = ["pending", "building", "deploying", "network"];
