import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Route } from "@hydra/proto/hydra/v1";

/**
 * Where the edge sends a route's requests: the sentinel's externally reachable address when
 * the cluster names one (`host:port`), else its Service's cluster DNS name and port (an edge
 * running inside the cluster).
 */
export function sentinelAddress(route: Route): { host: string; port: number } | undefined {
  const sentinel = route.sentinel;
  if (!sentinel) return undefined;
  if (sentinel.externalAddress) {
    const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(sentinel.externalAddress);
    if (!match) return undefined;
    return { host: match[1]!.replace(/^\[|\]$/g, ""), port: Number(match[2]) };
  }
  if (!sentinel.serviceHost || !sentinel.servicePort) return undefined;
  return { host: sentinel.serviceHost, port: sentinel.servicePort };
}

/** The map value HAProxy splits with field(): `<deployment id>/<ip>/<port>`. */
export function mapValue(deploymentId: string, ip: string, port: number): string {
  return `${deploymentId}/${ip}/${port}`;
}

/** Resolves sentinel host names to addresses (HAProxy's set-dst takes an IP), cached: a Service's cluster IP is stable. */
export class SentinelResolver {
  private readonly cache = new Map<string, string>();

  async valueOf(route: Route): Promise<string | undefined> {
    const address = sentinelAddress(route);
    if (!address || !/^[a-z0-9_]+$/i.test(route.deploymentId)) return undefined;
    let ip = isIP(address.host) ? address.host : this.cache.get(address.host);
    if (!ip) {
      ip = (await lookup(address.host, { family: 4 })).address;
      this.cache.set(address.host, ip);
    }
    return mapValue(route.deploymentId, ip, address.port);
  }
}
