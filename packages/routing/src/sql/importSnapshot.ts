import type { PoolClient } from "@hydra/db";

/** Makes this (just begun, REPEATABLE READ) transaction read from a snapshot another open transaction exported. */
export async function importSnapshot(
  db: Pick<PoolClient, "query" | "escapeLiteral">,
  snapshotId: string,
): Promise<void> {
  // A utility statement: its argument cannot be a bind parameter.
  await db.query(`SET TRANSACTION SNAPSHOT ${db.escapeLiteral(snapshotId)}`);
}
