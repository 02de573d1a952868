import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { GatewayConfigSchema, type Route, RouteSchema, type SentinelTarget } from "@hydra/proto/hydra/v1";
import { RoutingError } from "./errors";
import type { GatewayConfigJson, StoredRoute } from "./sql/rows";

const REGION = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The region a WatchRoutes caller asks for. It only narrows what the caller gets: every route
 * is projected to that one region's sentinel, never widened (no empty "all regions", no patterns).
 */
export function validateRegion(region: string): string {
  if (!region) throw new RoutingError("invalid_argument", "region is required (the edge's region, e.g. local)");
  if (!REGION.test(region))
    throw new RoutingError(
      "invalid_argument",
      `region "${region}" is not a region name (lower-case letters, digits, inner hyphens)`,
    );
  return region;
}

/** Where the edge of one region sends a hostname's requests: a deployment, through that region's sentinel. */
export interface RouteTarget {
  readonly deploymentId: string;
  readonly sentinel?: SentinelTarget;
}

/**
 * A stored route as the edge of `region` sees it, or undefined when the hostname is not routed
 * there: a local hostname (defence in depth: they never get a gateway config), a disabled
 * config, or a deployment without a sentinel in that region.
 */
export function routeInRegion(
  stored: StoredRoute,
  region: string,
  isLocal: (hostname: string) => boolean,
): Route | undefined {
  if (isLocal(stored.hostname)) return undefined;
  const target = targetInRegion(stored.config, stored.deploymentId, region);
  return target && create(RouteSchema, { hostname: stored.hostname, ...target });
}

/**
 * The target of every hostname stored with this config (a snapshot projects each distinct
 * config once), or undefined when they are not routed in `region`. Local hostnames are the
 * caller's to leave out.
 */
export function targetInRegion(
  config: GatewayConfigJson,
  rowDeploymentId: string,
  region: string,
): Required<RouteTarget> | undefined {
  const parsed = fromJson(GatewayConfigSchema, config as JsonValue, { ignoreUnknownFields: true });
  if (!parsed.isEnabled) return undefined;
  const sentinel = parsed.sentinels.find((s) => s.region === region);
  if (!sentinel) return undefined;
  return { deploymentId: parsed.deploymentId || rowDeploymentId, sentinel };
}
