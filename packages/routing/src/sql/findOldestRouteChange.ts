import type { Queryable } from "@hydra/db";

/** The oldest position the outbox still holds, if any (older history may have been pruned). */
export async function findOldestRouteChange(db: Queryable): Promise<bigint | undefined> {
  const { rows } = await db.query<{ position: bigint | null }>({
    name: "routing_findOldestRouteChange",
    text: "SELECT min(position) AS position FROM route_changes",
  });
  return rows[0]?.position ?? undefined;
}
