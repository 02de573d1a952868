import { ownerLockHeldSql } from "./ownerLock";
import type { Queryable } from "./rows";

/** The liveness poll, a tiny query: registered owners (other than `self`) whose session lock is free now. */
export async function findDeadOwners(db: Queryable, self: string): Promise<string[]> {
  const result = await db.query<{ owner: string }>({
    name: "workflow_findDeadOwners",
    text: `SELECT owner FROM workflow_owners o WHERE owner <> $1 AND NOT ${ownerLockHeldSql("o.owner")}`,
    values: [self],
  });
  return result.rows.map((r) => r.owner);
}
