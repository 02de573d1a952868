import type { Queryable } from "@hydra/db";

/** The position of the last committed route change (0 before the first). */
export async function findRouteStreamHead(db: Queryable): Promise<bigint> {
  const { rows } = await db.query<{ position: bigint }>({
    name: "routing_findRouteStreamHead",
    text: "SELECT position FROM route_stream_head WHERE id",
  });
  return rows[0]?.position ?? 0n;
}
