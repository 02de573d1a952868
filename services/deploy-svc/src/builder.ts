import { buildSourceFromRecord, BuildError, type BuildBackends } from "@hydra/build";
import type { ImageBuilder } from "@hydra/deploy";
import { TerminalError } from "@hydra/workflow";

/**
 * The Deploy workflow's builder over packages/build: a terminal build error fails the step at
 * once with its code as data (so the deployment says FAILED at `build` and why: "invalid_argument: …");
 * a transient one is retried by the workflow.
 */
export function imageBuilder(backends: BuildBackends): ImageBuilder {
  return {
    async build(request, options) {
      const source = buildSourceFromRecord(request.source);
      if (!source)
        throw new TerminalError(`deployment ${request.deploymentId} has no source to build`, {
          code: "invalid_argument",
          kind: "failed",
        });
      try {
        const result = await backends.build({ ...request, source }, options);
        return { image: result.image };
      } catch (error) {
        if (error instanceof BuildError && !error.transient) {
          throw new TerminalError(error.message, { code: error.code, kind: "failed", cause: error });
        }
        throw error;
      }
    },
  };
}
