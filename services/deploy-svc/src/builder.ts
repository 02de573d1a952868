import { buildSourceFromRecord, BuildError, type BuildBackends } from "@hydra/build";
import type { ImageBuilder } from "@hydra/deploy";
import { TerminalError } from "@hydra/workflow";
import { Code } from "@connectrpc/connect";

const CODE: Record<BuildError["code"], Code> = {
  failed_precondition: Code.FailedPrecondition,
  invalid_argument: Code.InvalidArgument,
  unavailable: Code.Unavailable,
  deadline_exceeded: Code.DeadlineExceeded,
  canceled: Code.Canceled,
  internal: Code.Internal,
};

/**
 * The Deploy workflow's builder over packages/build: a terminal build error fails the step at
 * once with its code (so the deployment says FAILED at `build` and why); a transient one is
 * retried by the workflow.
 */
export function imageBuilder(backends: BuildBackends): ImageBuilder {
  return {
    async build(request, options) {
      const source = buildSourceFromRecord(request.source);
      if (!source)
        throw new TerminalError(`[InvalidArgument] deployment ${request.deploymentId} has no source to build`);
      try {
        const result = await backends.build({ ...request, source }, options);
        return { image: result.image };
      } catch (error) {
        if (error instanceof BuildError && !error.transient) {
          throw new TerminalError(`[${Code[CODE[error.code]]}] ${error.message}`);
        }
        throw error;
      }
    },
  };
}
