import { create } from "@bufbuild/protobuf";
import {
  DeploymentHostnamesSchema,
  type SentinelRoutes,
  SentinelRoutesSchema,
  type SentinelTarget,
} from "@hydra/proto/hydra/v1";

/**
 * Packs a route snapshot into chunks of at most `limit` hostnames, each chunk grouped by
 * sentinel, then deployment: a sentinel is sent once a chunk, not once a hostname (or a
 * deployment). A deployment's hostnames continue in the next chunk when they do not fit.
 * A chunk is sealed only when more hostnames arrive, so `finish` returns the last one.
 */
export class SnapshotChunker {
  private sealed: SentinelRoutes[][] = [];
  private current = new Map<string, SentinelRoutes>();
  private count = 0;

  constructor(private readonly limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError(`chunk limit ${limit} is not a positive integer`);
  }

  add(deploymentId: string, sentinel: SentinelTarget, hostnames: string[]): void {
    for (let start = 0; start < hostnames.length;) {
      if (this.count === this.limit) this.seal();
      const end = Math.min(hostnames.length, start + this.limit - this.count);
      const part = start === 0 && end === hostnames.length ? hostnames : hostnames.slice(start, end);
      this.routesOf(sentinel).deployments.push(create(DeploymentHostnamesSchema, { deploymentId, hostnames: part }));
      this.count += end - start;
      start = end;
    }
  }

  /** The chunks filled since the last call; never the last chunk. */
  takeFull(): SentinelRoutes[][] {
    const full = this.sealed;
    this.sealed = [];
    return full;
  }

  /** The last chunk (empty when the snapshot is). */
  finish(): SentinelRoutes[] {
    const last = [...this.current.values()];
    this.current = new Map();
    this.count = 0;
    return last;
  }

  private seal(): void {
    this.sealed.push(this.finish());
  }

  private routesOf(sentinel: SentinelTarget): SentinelRoutes {
    const key = `${sentinel.region}\n${sentinel.serviceHost}\n${sentinel.servicePort}\n${sentinel.externalAddress}`;
    let routes = this.current.get(key);
    if (!routes) this.current.set(key, (routes = create(SentinelRoutesSchema, { sentinel, deployments: [] })));
    return routes;
  }
}
