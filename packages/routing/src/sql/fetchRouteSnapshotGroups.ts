import type { Queryable } from "@hydra/db";
import { ROUTE_SNAPSHOT_CURSOR } from "./declareRouteSnapshotCursor";
import type { RouteSnapshotGroupRow } from "./rows";

/** The next `count` groups of the snapshot cursor (declareRouteSnapshotCursor.ts); fewer at its end. */
export async function fetchRouteSnapshotGroups(db: Queryable, count: number): Promise<RouteSnapshotGroupRow[]> {
  // FETCH's count cannot be a bind parameter.
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`fetch count ${count} is not a positive integer`);
  const { rows } = await db.query<RouteSnapshotGroupRow>(`FETCH ${count} FROM ${ROUTE_SNAPSHOT_CURSOR}`);
  return rows;
}
