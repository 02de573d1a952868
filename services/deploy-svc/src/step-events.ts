import { appendDeploymentEvent, DEPLOY_KIND } from "@hydra/deploy";
import type { Pool } from "@hydra/db";
import type { Logger } from "@hydra/server-kit";
import type { StepEvent } from "@hydra/workflow";

/**
 * Turns the engine's step events of Deploy runs into deployment events (what WatchDeployment
 * streams) and log lines. The engine awaits this, so events are written in step order.
 */
export function deployStepEvents(pool: Pool, logger: Logger): (event: StepEvent) => Promise<void> {
  return async (event) => {
    if (event.kind !== DEPLOY_KIND) return;
    const deploymentId = event.runId.slice(`${DEPLOY_KIND}:`.length);
    const name = event.compensation ? `compensate:${event.step.replace(/^\$compensate:/, "")}` : event.step;
    logger.info(
      {
        deployment_id: deploymentId,
        project_id: event.key,
        step: name,
        state: event.type,
        attempt: event.attempt,
        error: event.error,
      },
      "deploy step",
    );
    try {
      await appendDeploymentEvent(pool, deploymentId, "step", {
        name,
        state: event.type,
        attempt: event.attempt,
        error: event.error ?? "",
      });
    } catch (error) {
      logger.warn({ err: error, deployment_id: deploymentId }, "could not record a step event");
    }
  };
}
