import { setTimeout as sleepUntilAborted } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import type { Pool } from "@hydra/db";
import {
  type Route,
  RouteChangeSchema,
  type SentinelRoutes,
  type WatchRoutesResponse,
  WatchRoutesResponseSchema,
} from "@hydra/proto/hydra/v1";
import { classifyDatabaseError } from "./errors";
import { routeInRegion, targetInRegion, validateRegion } from "./route-projection";
import type { RouteSequencer } from "./route-sequencer";
import type { RouteWakeups } from "./route-wakeups";
import { SnapshotChunker } from "./snapshot-chunker";
import { declareRouteSnapshotCursor } from "./sql/declareRouteSnapshotCursor";
import { fetchRouteSnapshotGroups } from "./sql/fetchRouteSnapshotGroups";
import { findOldestRouteChange } from "./sql/findOldestRouteChange";
import { findRouteStreamHead } from "./sql/findRouteStreamHead";
import { listRouteChanges } from "./sql/listRouteChanges";
import type { RouteChangeRow } from "./sql/rows";

export interface RouteStreamOptions {
  pool: Pool;
  wakeups: RouteWakeups;
  /** This process's sequencer: gives committed changes their positions (route-sequencer.ts). */
  sequencer: RouteSequencer;
  isLocal: (hostname: string) => boolean;
  /** Hostnames a snapshot chunk holds at most, and changes read at once (default 2,000). */
  pageSize?: number;
  /** A heartbeat after this long without a change (default 5 s). */
  heartbeatMs?: number;
  /** Re-read at least this often, in case a wake-up was lost (default 1 s). */
  pollMs?: number;
}

export interface WatchRoutesInput {
  region: string;
  afterPosition: bigint;
}

/**
 * hydra.v1.RoutingService/WatchRoutes: a snapshot (unless resuming), then every committed
 * route change after it, in position order, as one message each. Positions are handed out
 * after commit by the sequencer (sql/sequenceRouteChanges.ts), consecutive and never below
 * one already read, so a gap can only mean pruned history, answered with a fresh snapshot.
 * Ends when `signal` aborts.
 */
export async function* watchRoutes(
  options: RouteStreamOptions,
  input: WatchRoutesInput,
  signal: AbortSignal,
): AsyncGenerator<WatchRoutesResponse> {
  const region = validateRegion(input.region);
  const pageSize = options.pageSize ?? 2_000;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const pollMs = options.pollMs ?? 1_000;
  let woken = false;
  // A change may have committed before this stream subscribed: sequence before the first read.
  let unsequenced = true;
  let wake: (() => void) | undefined;
  const unsubscribe = options.wakeups.subscribe((why) => {
    woken = true;
    if (why === "committed") unsequenced = true;
    wake?.();
  });
  try {
    let position = input.afterPosition;
    const unresumable = position === 0n ? "start" : await resumeProblem(options.pool, position);
    if (unresumable) position = yield* snapshot(options, region, pageSize, unresumable);
    let idleSince = Date.now();
    while (!signal.aborted) {
      woken = false;
      if (unsequenced) {
        unsequenced = false;
        await guard(() => options.sequencer.catchUp());
      }
      const batch = await guard(() => listRouteChanges(options.pool, position, pageSize));
      if (batch.length > 0 && batch[0]!.position !== position + 1n) {
        position = yield* snapshot(options, region, pageSize, `history after position ${position} was pruned`);
        continue;
      }
      for (const row of batch) {
        yield changeMessage(row, region, options.isLocal);
        position = row.position;
      }
      if (batch.length > 0) idleSince = Date.now();
      if (batch.length === pageSize || woken) continue;
      if (Date.now() - idleSince >= heartbeatMs) {
        yield create(WatchRoutesResponseSchema, { event: { case: "heartbeat", value: { headPosition: position } } });
        idleSince = Date.now();
      }
      // Until the next poll or heartbeat, the caller's abort, or a notification (wake), whichever is first.
      const notified = new AbortController();
      wake = () => notified.abort();
      await sleepUntilAborted(Math.min(pollMs, heartbeatMs), undefined, {
        signal: AbortSignal.any([signal, notified.signal]),
      }).catch(() => undefined);
      wake = undefined;
    }
  } finally {
    unsubscribe();
  }
}

/** Why streaming cannot resume right after `position`, or undefined when it can. */
async function resumeProblem(pool: Pool, position: bigint): Promise<string | undefined> {
  const head = await guard(() => findRouteStreamHead(pool));
  if (position > head) return `position ${position} is ahead of this stream's head ${head} (another database?)`;
  if (position === head) return undefined;
  const oldest = await guard(() => findOldestRouteChange(pool));
  if (oldest === undefined || oldest > position + 1n) return `history after position ${position} was pruned`;
  return undefined;
}

/**
 * Every routed hostname at one position, read from one database snapshot, in chunks of at most
 * `chunkHostnames` hostnames grouped by sentinel and deployment (snapshot-chunker.ts); returns
 * the position.
 */
async function* snapshot(
  options: RouteStreamOptions,
  region: string,
  chunkHostnames: number,
  reason: string,
): AsyncGenerator<WatchRoutesResponse, bigint> {
  const client = await guard(() => options.pool.connect());
  try {
    const position = await guard(() => options.sequencer.beginSnapshotAtHead(client));
    await guard(() => declareRouteSnapshotCursor(client));
    const chunk = (sentinels: SentinelRoutes[], last: boolean) =>
      create(WatchRoutesResponseSchema, { event: { case: "snapshot", value: { position, sentinels, last, reason } } });
    const chunker = new SnapshotChunker(chunkHostnames);
    const fetchGroups = () => {
      const fetched = guard(() => fetchRouteSnapshotGroups(client, chunkHostnames));
      fetched.catch(() => {}); // awaited below, unless the caller stops reading first
      return fetched;
    };
    // The next groups are read while these are encoded and sent.
    let fetching = fetchGroups();
    for (;;) {
      const rows = await fetching;
      const more = rows.length === chunkHostnames;
      if (more) fetching = fetchGroups();
      for (const row of rows) {
        const target = targetInRegion(row.config, row.deployment_id, region);
        if (!target) continue;
        const hostnames = row.hostnames.filter((hostname) => !options.isLocal(hostname));
        chunker.add(target.deploymentId, target.sentinel, hostnames);
      }
      for (const sentinels of chunker.takeFull()) yield chunk(sentinels, false);
      if (!more) break;
    }
    yield chunk(chunker.finish(), true);
    return position;
  } finally {
    await client.query("ROLLBACK").catch(() => {});
    client.release();
  }
}

function changeMessage(
  row: RouteChangeRow,
  region: string,
  isLocal: (hostname: string) => boolean,
): WatchRoutesResponse {
  const routes: Route[] = [];
  const removedHostnames: string[] = [];
  for (const stored of row.routes) {
    const route = "removed" in stored ? undefined : routeInRegion(stored, region, isLocal);
    if (route) routes.push(route);
    else if (!isLocal(stored.hostname)) removedHostnames.push(stored.hostname);
  }
  const change = create(RouteChangeSchema, {
    position: row.position,
    routes,
    removedHostnames,
    projectId: row.project_id,
    routingGeneration: row.routing_generation,
    committedAtMs: BigInt(row.committed_at.getTime()),
  });
  return create(WatchRoutesResponseSchema, { event: { case: "change", value: change } });
}

/** Database failures become `unavailable` RoutingErrors (the caller reconnects and resumes). */
async function guard<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw classifyDatabaseError(error);
  }
}
