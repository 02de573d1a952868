import { newId } from "@hydra/db";
import type { SentinelRef } from "@hydra/cluster";
import { recordSentinel } from "../../../sql/recordSentinel";
import { perRegion, type DeployScope } from "../scope";

/** Step `ensure-sentinels`: the workspace's namespace and the environment's sentinel in every region. */
export function ensureSentinels(scope: DeployScope): Promise<Record<string, SentinelRef>> {
  const { deps, meta, owner, namespace } = scope;
  const { cluster, settings, pool } = deps;
  return perRegion(scope.regions, async (region) => {
    await cluster.ensureNamespace(region, namespace);
    const replicas = meta.environment.production ? settings.sentinel.replicas.production : settings.sentinel.replicas.preview;
    const ref = await cluster.ensureSentinel(region, { ...owner, namespace, image: settings.sentinel.image, port: settings.sentinel.port, replicas });
    await recordSentinel(pool, { id: newId("sentinel"), ...owner, region, namespace: ref.namespace, name: ref.name });
    return ref;
  });
}
