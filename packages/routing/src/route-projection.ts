import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { GatewayConfigSchema, type Route, RouteSchema } from "@hydra/proto/hydra/v1";
import { RoutingError } from "./errors";
import type { StoredRoute } from "./sql/rows";

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
  const config = fromJson(GatewayConfigSchema, stored.config as JsonValue, { ignoreUnknownFields: true });
  if (!config.isEnabled) return undefined;
  const sentinel = config.sentinels.find((s) => s.region === region);
  if (!sentinel) return undefined;
  return create(RouteSchema, {
    hostname: stored.hostname,
    deploymentId: config.deploymentId || stored.deploymentId,
    sentinel,
  });
}
