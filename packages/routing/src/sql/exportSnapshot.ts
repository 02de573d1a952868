import type { Queryable } from "@hydra/db";

/** Names this transaction's snapshot so that another session can read from exactly the same one (importSnapshot). */
export async function exportSnapshot(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ snapshot: string }>({
    name: "routing_exportSnapshot",
    text: "SELECT pg_export_snapshot() AS snapshot",
  });
  return rows[0]!.snapshot;
}
