import type { ImageBuilder } from "@hydra/deploy";
import { TerminalError } from "@hydra/workflow";

/**
 * The image builder deploy-svc hands the Deploy workflow. Docker images never reach it (the
 * workflow uses them as they are); git sources need Depot.
 */
export function createImageBuilder(depotToken: string | undefined): ImageBuilder {
  return {
    async build(request) {
      if (!depotToken) {
        throw new TerminalError(
          `[FailedPrecondition] deployment ${request.deploymentId} has a git source, but no build backend is configured: set DEPOT_TOKEN (and DEPOT_PROJECT_ID) to build from git, or deploy a docker_image`,
        );
      }
      throw new TerminalError(`[Unimplemented] Depot builds are not wired into deploy-svc yet (packages/build)`);
    },
  };
}
