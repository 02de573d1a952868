import type { Queryable } from "@hydra/db";

/**
 * Starts the transaction a snapshot's sequencing round runs in: REPEATABLE READ, so that the
 * snapshot it exports afterwards is the very one the round numbered from.
 */
export async function beginSequencing(db: Queryable): Promise<void> {
  await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
}
