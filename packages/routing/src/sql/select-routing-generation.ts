import type { Queryable } from "./queryable";

/**
 * The project's committed routing generation, read right after taking the project lock: the
 * fencing token the transaction must still find, or the lock was lost in between.
 */
export async function selectRoutingGeneration(db: Queryable, projectId: string): Promise<bigint | undefined> {
  const { rows } = await db.query<{ generation: bigint }>(
    "SELECT routing_generation AS generation FROM projects WHERE id = $1",
    [projectId],
  );
  return rows[0]?.generation;
}
