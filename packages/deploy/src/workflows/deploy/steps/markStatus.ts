import { setDeploymentStatus } from "../../../sql/setDeploymentStatus";
import type { DeployScope } from "../scope";

/** Step `deploying`: the image exists, the cluster work begins. */
export async function markDeploying(scope: DeployScope): Promise<null> {
  await setDeploymentStatus(scope.deps.pool, { id: scope.id, status: "deploying", from: ["pending", "building"] });
  return null;
}

/** Step `ready`: routing is done, the deployment serves its domains. */
export async function markReady(scope: DeployScope): Promise<null> {
  await setDeploymentStatus(scope.deps.pool, { id: scope.id, status: "ready", from: ["network"] });
  return null;
}
