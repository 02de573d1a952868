import { TerminalError } from "@hydra/workflow";
import { loadDeployMetadata, type DeployMetadata } from "../../../sql/loadDeployMetadata";
import type { DeployDeps } from "../../deps";

/** Step `load-metadata`: the deployment, its project, workspace and environment, read once. */
export async function loadMetadata(deps: DeployDeps, deploymentId: string): Promise<DeployMetadata> {
  const found = await loadDeployMetadata(deps.pool, deploymentId);
  if (!found) throw new TerminalError(`deployment ${deploymentId} not found`);
  return found;
}
