import { namespaceName } from "@hydra/cluster";
import type { DeployMetadata } from "../../sql/loadDeployMetadata";
import type { DeployDeps } from "../deps";

/** What every Deploy step after `load-metadata` works on: one deployment, its owners and regions. */
export interface DeployScope {
  deps: DeployDeps;
  id: string;
  meta: DeployMetadata;
  regions: string[];
  owner: { workspaceId: string; projectId: string; environmentId: string };
  /** The workspace's namespace in every region. */
  namespace: string;
}

export function deployScope(deps: DeployDeps, meta: DeployMetadata): DeployScope {
  return {
    deps,
    id: meta.deployment.id,
    meta,
    regions: Object.keys(meta.environment.regions).sort(),
    owner: { workspaceId: meta.workspace.id, projectId: meta.project.id, environmentId: meta.environment.id },
    namespace: namespaceName(meta.workspace.id),
  };
}

/** Runs `fn` for every region at once; the results by region. */
export async function perRegion<T>(regions: string[], fn: (region: string) => Promise<T>): Promise<Record<string, T>> {
  const results = await Promise.all(regions.map(async (region) => [region, await fn(region)] as const));
  return Object.fromEntries(results);
}
