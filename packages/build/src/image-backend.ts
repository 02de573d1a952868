import {
  assertMayContinue,
  BuildError,
  type BuildBackend,
  type BuildOptions,
  type BuildRequest,
  type BuildResult,
} from "./backend";
import { InvalidImageReferenceError, parseImageReference } from "./reference";

/** A `dockerImage` source: the reference is checked against the OCI grammar and used as is. */
export class ImageBackend implements BuildBackend {
  readonly kind = "image" as const;

  async build(request: BuildRequest, options: BuildOptions): Promise<BuildResult> {
    const started = Date.now();
    if (!("dockerImage" in request.source)) {
      throw new BuildError("internal", `deployment ${request.deploymentId}: the image backend was given a git source`);
    }
    assertMayContinue(options, `deployment ${request.deploymentId}`);
    const image = request.source.dockerImage.image;
    try {
      parseImageReference(image);
    } catch (error) {
      if (error instanceof InvalidImageReferenceError) {
        throw new BuildError(
          "invalid_argument",
          `deployment ${request.deploymentId}: docker_image.image: ${error.message}`,
          { cause: error },
        );
      }
      throw error;
    }
    options.onLog?.(`using image ${image} as is`);
    return { image, backend: "image", durationMs: Date.now() - started };
  }
}
