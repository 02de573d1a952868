import type { Route, WatchRoutesResponse } from "@hydra/proto/hydra/v1";
import type { RouteTarget } from "./route-projection";

export type { RouteTarget };

/** The stream skipped a position or went backwards: the table can no longer be trusted. */
export class RouteStreamGapError extends Error {
  override readonly name = "RouteStreamGapError";
  constructor(
    readonly expected: bigint,
    readonly got: bigint,
  ) {
    super(`route stream out of order: expected position ${expected}, got ${got}`);
  }
}

/** What one message did to the table: nothing yet (a snapshot chunk or heartbeat), or a whole update. */
export type RouteTableUpdate =
  | { kind: "pending" }
  | { kind: "heartbeat"; headPosition: bigint }
  | { kind: "snapshot"; position: bigint; routes: ReadonlyMap<string, RouteTarget> }
  | { kind: "change"; position: bigint; routes: Route[]; removed: string[]; committedAtMs: bigint };

/**
 * A WatchRoutes consumer's table: hostname → target at `position`. Snapshot chunks accumulate
 * and replace the table at once with the last one; each change must be the next position.
 * The hostnames of a deployment in a snapshot chunk share one target object, and its sentinel
 * is the chunk's (100,000 hostnames are one map of shared values, not 100,000 routes). Pure
 * bookkeeping, so the edge (frontline) and tests apply the stream the same way.
 */
export class RouteTable {
  private table = new Map<string, RouteTarget>();
  position: bigint;
  private pendingSnapshot: { position: bigint; routes: Map<string, RouteTarget> } | undefined;

  constructor(position = 0n) {
    this.position = position;
  }

  /** Hostname → target at `position` (a change's Route is its own target). */
  get routes(): ReadonlyMap<string, RouteTarget> {
    return this.table;
  }

  apply(message: WatchRoutesResponse): RouteTableUpdate {
    const event = message.event;
    switch (event.case) {
      case "snapshot": {
        const chunk = event.value;
        // A snapshot of another position (the stream broke off one and started another) starts afresh.
        if (this.pendingSnapshot?.position !== chunk.position)
          this.pendingSnapshot = { position: chunk.position, routes: new Map() };
        const pending = this.pendingSnapshot.routes;
        for (const { sentinel, deployments } of chunk.sentinels) {
          for (const { deploymentId, hostnames } of deployments) {
            const target: RouteTarget = { deploymentId, sentinel };
            for (const hostname of hostnames) pending.set(hostname, target);
          }
        }
        if (!chunk.last) return { kind: "pending" };
        this.pendingSnapshot = undefined;
        this.table = pending;
        this.position = chunk.position;
        return { kind: "snapshot", position: chunk.position, routes: pending };
      }
      case "change": {
        const change = event.value;
        if (this.pendingSnapshot || change.position !== this.position + 1n)
          throw new RouteStreamGapError(this.position + 1n, change.position);
        for (const route of change.routes) this.table.set(route.hostname, route);
        for (const hostname of change.removedHostnames) this.table.delete(hostname);
        this.position = change.position;
        return {
          kind: "change",
          position: change.position,
          routes: change.routes,
          removed: change.removedHostnames,
          committedAtMs: change.committedAtMs,
        };
      }
      case "heartbeat":
        return { kind: "heartbeat", headPosition: event.value.headPosition };
      default:
        return { kind: "pending" };
    }
  }
}
