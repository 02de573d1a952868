import { ownerLockKeysSql } from "./ownerLock";
import type { Queryable } from "./rows";

/**
 * On the owner's dedicated connection: takes its session-level advisory lock and, if it got it,
 * registers the owner (so sweepers watch its lock). False when another live session holds the
 * lock: the same owner id is in use by a running process (or a connection not yet seen dead).
 */
export async function registerOwner(db: Queryable, owner: string): Promise<boolean> {
  const result = await db.query<{ locked: boolean }>({
    text: `
      WITH lock AS (
        SELECT pg_try_advisory_lock(${ownerLockKeysSql("$1")}) AS locked
      ), registered AS (
        INSERT INTO workflow_owners (owner) SELECT $1 FROM lock WHERE locked
        ON CONFLICT (owner) DO NOTHING
        RETURNING 1
      )
      SELECT locked, (SELECT count(*) FROM registered) AS registered FROM lock`,
    values: [owner],
  });
  return result.rows[0]?.locked === true;
}
