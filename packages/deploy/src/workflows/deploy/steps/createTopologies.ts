import { createTopologies as insertTopologies } from "../../../sql/createTopologies";
import type { DeployScope } from "../scope";

/** Step `create-topologies`: one row per region with its desired replicas. */
export async function createTopologies(scope: DeployScope): Promise<string[]> {
  await insertTopologies(scope.deps.pool, scope.id, scope.meta.environment.regions);
  return scope.regions;
}
