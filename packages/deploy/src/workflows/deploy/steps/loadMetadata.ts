import { TerminalError } from "@hydra/workflow";
import { loadDeployMetadata, type DeployMetadata } from "../../../sql/loadDeployMetadata";
import type { DeployDeps } from "../../deps";

/**
 * Step `load-metadata`: the deployment, its project, workspace and environment, read once.
 * A deployment cancelled or superseded before its run existed (or already finished) ends the
 * run here, before it builds or applies anything.
 */
export async function loadMetadata(deps: DeployDeps, runId: string, deploymentId: string): Promise<DeployMetadata> {
  const found = await loadDeployMetadata(deps.pool, deploymentId);
  if (!found) throw new TerminalError(`deployment ${deploymentId} not found`);
  const { status, cancelRequested, cancelReason } = found.deployment;
  if (cancelRequested || status === "cancelled" || status === "superseded") {
    // The cancel's compensations record the status (a terminal one stays as it is).
    await deps.engine.cancel(runId, cancelReason ?? `deployment ${deploymentId} is ${status}`, {
      kind: status === "superseded" ? "superseded" : "cancelled",
    });
    throw new Error(
      `deployment ${deploymentId} was ${status === "superseded" ? "superseded" : "cancelled"} before its run started`,
    );
  }
  if (status === "ready" || status === "failed")
    throw new TerminalError(`deployment ${deploymentId} is already ${status}`);
  return found;
}
