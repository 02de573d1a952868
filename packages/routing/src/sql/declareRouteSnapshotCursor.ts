import type { Queryable } from "@hydra/db";

/** The cursor a snapshot transaction reads its routes from (fetchRouteSnapshotGroups.ts). */
export const ROUTE_SNAPSHOT_CURSOR = "route_snapshot";

/**
 * Opens a cursor over every routed hostname, grouped by (deployment, config): hostnames that
 * share a config share their target, so the snapshot projects each config once. A cursor, not
 * keyset pages: the hostnames of a deployment are rarely adjacent in hostname order. Lives
 * until the transaction ends. Hostnames come as a JSON array, which the driver parses natively
 * (a text[] it parses character by character: ~60 ms against ~8 for 100,000 hostnames).
 */
export async function declareRouteSnapshotCursor(db: Queryable): Promise<void> {
  await db.query(
    `DECLARE ${ROUTE_SNAPSHOT_CURSOR} NO SCROLL CURSOR FOR
       SELECT deployment_id, config, json_agg(hostname) AS hostnames
         FROM gateway_configs GROUP BY deployment_id, config`,
  );
}
