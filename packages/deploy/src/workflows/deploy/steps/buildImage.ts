import { findBuildId } from "../../../sql/findBuildId";
import { recordBuildId } from "../../../sql/recordBuildId";
import { recordImage } from "../../../sql/recordImage";
import { setDeploymentStatus } from "../../../sql/setDeploymentStatus";
import type { DeployScope } from "../scope";

/**
 * Step `build`: the image that runs. A docker image is used as it is; a git source is built
 * (BUILDING), and a retried attempt waits for the build an earlier attempt started.
 */
export async function buildImage(scope: DeployScope, signal: AbortSignal): Promise<{ image: string }> {
  const { deps, id, meta } = scope;
  const { pool, builder, settings } = deps;
  const source = meta.deployment.source;
  let image: string;
  if (source.dockerImage) {
    image = source.dockerImage.image;
  } else {
    await setDeploymentStatus(pool, { id, status: "building", from: ["pending"] });
    const deadline = new Date(Date.now() + settings.buildTimeoutMs);
    const previousBuildId = (await findBuildId(pool, id)) ?? undefined;
    ({ image } = await builder.build(
      {
        deploymentId: id,
        workspaceId: meta.workspace.id,
        workspaceSlug: meta.workspace.slug,
        projectId: meta.project.id,
        projectSlug: meta.project.slug,
        source,
        previousBuildId,
      },
      { signal, deadline, onBuildStarted: (buildId) => recordBuildId(pool, id, buildId) },
    ));
  }
  await recordImage(pool, id, image);
  return { image };
}
