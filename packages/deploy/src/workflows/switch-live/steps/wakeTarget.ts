import { Code } from "@connectrpc/connect";
import { findDesiredState } from "../../../sql/findDesiredState";
import { codedTerminal, isTerminalError, type DeployDeps } from "../../deps";
import { NotWakeableError, scaleDown, wakeDeployment } from "../../standby";
import { asTerminal } from "../asTerminal";

/** Step `wake-target`: the target runs its desired replicas. */
export function wakeTarget(deps: DeployDeps, targetId: string, deadline: Date, signal: AbortSignal): Promise<null> {
  return asTerminal(async () => {
    try {
      await wakeDeployment(deps, targetId, deadline, signal);
    } catch (error) {
      if (!isTerminalError(error) || error instanceof NotWakeableError) throw error;
      // Scaled up for nothing: a target in standby goes back to 0 replicas, and the caller
      // gets a code of its own rather than the engine's default (aborted).
      if ((await findDesiredState(deps.pool, targetId))?.desiredState === "standby")
        await scaleDown(deps, targetId, "standby");
      throw codedTerminal(
        Code.FailedPrecondition,
        `target ${targetId} could not be woken: ${(error as Error).message}`,
      );
    }
    return null;
  });
}
