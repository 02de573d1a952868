import type { Queryable } from "@hydra/db";

/**
 * The project's committed routing generation, read right after taking the project lock: the
 * fencing token the transaction must still find, or the lock was lost in between.
 */
export async function findRoutingGeneration(db: Queryable, projectId: string): Promise<bigint | undefined> {
  const { rows } = await db.query<{ routing_generation: bigint }>({
    name: "routing_findRoutingGeneration",
    text: "SELECT routing_generation FROM projects WHERE id = $1",
    values: [projectId],
  });
  return rows[0]?.routing_generation;
}
