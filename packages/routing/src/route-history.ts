import type { Pool } from "@hydra/db";
import { findRouteStreamHead } from "./sql/findRouteStreamHead";
import { pruneRouteChanges } from "./sql/pruneRouteChanges";

/** Keeps the last `keep` route changes: enough for a watcher that was away a while to resume. */
export async function pruneRouteHistory(pool: Pool, keep: number): Promise<number> {
  const head = await findRouteStreamHead(pool);
  const below = head - BigInt(keep);
  return below > 0n ? pruneRouteChanges(pool, below) : 0;
}
