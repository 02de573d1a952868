import type { Queryable } from "@hydra/db";

/** Starts a read-only transaction that sees one snapshot throughout (every read at the same position). */
export async function beginReadSnapshot(db: Queryable): Promise<void> {
  await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}
