import type { Queryable } from "./rows";

/** A clean stop: the owner leaves the watched set (its lock goes with its connection). */
export async function unregisterOwner(db: Queryable, owner: string): Promise<void> {
  await db.query({ text: "DELETE FROM workflow_owners WHERE owner = $1", values: [owner] });
}
