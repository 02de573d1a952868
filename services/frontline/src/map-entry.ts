import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { RouteTarget } from "@hydra/routing/route-table";

/**
 * Where the edge sends a route's requests: the sentinel's externally reachable address when
 * the cluster names one (`host:port`), else its Service's cluster DNS name and port (an edge
 * running inside the cluster).
 */
export function sentinelAddress(target: RouteTarget): { host: string; port: number } | undefined {
  const sentinel = target.sentinel;
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

/**
 * Sentinel host names resolved to addresses (HAProxy's set-dst takes an IP), kept: a Service's
 * cluster IP is stable. Resolving is separate from making values, so that the agent makes the
 * values of a whole table in one synchronous pass (one consistent position), resolving only
 * each distinct name beforehand.
 */
export class SentinelResolver {
  private readonly cache = new Map<string, string>();

  /** The sentinel name `target` needs resolved before `valueOf`, if any. */
  unresolvedHost(target: RouteTarget): string | undefined {
    const address = sentinelAddress(target);
    if (!address || isIP(address.host) || this.cache.has(address.host)) return undefined;
    return address.host;
  }

  async resolve(hosts: Iterable<string>): Promise<void> {
    for (const host of hosts) {
      if (!this.cache.has(host)) this.cache.set(host, (await lookup(host, { family: 4 })).address);
    }
  }

  /** The map value of `target`, or undefined when it cannot be routed (or its sentinel name is unresolved). */
  valueOf(target: RouteTarget): string | undefined {
    const address = sentinelAddress(target);
    if (!address || !/^[a-z0-9_]+$/i.test(target.deploymentId)) return undefined;
    const ip = isIP(address.host) ? address.host : this.cache.get(address.host);
    return ip && mapValue(target.deploymentId, ip, address.port);
  }
}
