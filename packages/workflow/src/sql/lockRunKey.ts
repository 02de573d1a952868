import type { Queryable } from "./rows";

/**
 * Takes the transaction-scoped advisory lock of (kind, key): two transactions that check for
 * an active run of a key and then insert one take turns, so they cannot both insert. The
 * one-key form (objsubid 1) never meets the owner sessions' two-key locks.
 */
export async function lockRunKey(db: Queryable, kind: string, key: string): Promise<void> {
  await db.query({
    name: "workflow_lockRunKey",
    text: "SELECT pg_advisory_xact_lock(hashtextextended('hydra_workflow_key/' || $1 || '/' || $2, 0))",
    values: [kind, key],
  });
}
