import type { Queryable } from "@hydra/db";

/**
 * Compare-and-set of the fencing token: the new generation, or undefined when the project's
 * generation is no longer `expected` (another holder committed since this one took the lock).
 */
export async function bumpRoutingGeneration(
  db: Queryable,
  projectId: string,
  expected: bigint,
): Promise<bigint | undefined> {
  const { rows } = await db.query<{ routing_generation: bigint }>({
    name: "routing_bumpRoutingGeneration",
    text: `UPDATE projects SET routing_generation = routing_generation + 1, updated_at = now()
            WHERE id = $1 AND routing_generation = $2
            RETURNING routing_generation`,
    values: [projectId, expected.toString()],
  });
  return rows[0]?.routing_generation;
}
