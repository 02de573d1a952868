import type { Route, WatchRoutesResponse } from "@hydra/proto/hydra/v1";

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
  | { kind: "snapshot"; position: bigint; routes: Map<string, Route> }
  | { kind: "change"; position: bigint; routes: Route[]; removed: string[]; committedAtMs: bigint };

/**
 * A WatchRoutes consumer's table: hostname → route at `position`. Snapshot chunks accumulate
 * and replace the table at once with the last one; each change must be the next position.
 * Pure bookkeeping, so the edge (frontline) and tests apply the stream the same way.
 */
export class RouteTable {
  readonly routes = new Map<string, Route>();
  position: bigint;
  private pendingSnapshot: Map<string, Route> | undefined;

  constructor(position = 0n) {
    this.position = position;
  }

  apply(message: WatchRoutesResponse): RouteTableUpdate {
    const event = message.event;
    switch (event.case) {
      case "snapshot": {
        const chunk = event.value;
        this.pendingSnapshot ??= new Map();
        for (const route of chunk.routes) this.pendingSnapshot.set(route.hostname, route);
        if (!chunk.last) return { kind: "pending" };
        const routes = this.pendingSnapshot;
        this.pendingSnapshot = undefined;
        this.routes.clear();
        for (const [hostname, route] of routes) this.routes.set(hostname, route);
        this.position = chunk.position;
        return { kind: "snapshot", position: chunk.position, routes };
      }
      case "change": {
        const change = event.value;
        if (this.pendingSnapshot || change.position !== this.position + 1n)
          throw new RouteStreamGapError(this.position + 1n, change.position);
        for (const route of change.routes) this.routes.set(route.hostname, route);
        for (const hostname of change.removedHostnames) this.routes.delete(hostname);
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
