import type { Queryable } from "@hydra/db";
import type { QueryResult } from "pg";
import { ROUTE_CHANGES_CHANNEL, ROUTE_STREAM_SEQUENCED_PREFIX } from "./rows";

export interface SequencedRouteChanges {
  /** The stream's head after this round: the last position given out. */
  head: bigint;
  /** How many committed changes this round gave a position. */
  sequenced: number;
}

/**
 * The sequencer's round: gives every committed, unsequenced route change the next positions,
 * in id order, and moves the head. One round trip of three statements, in one transaction
 * (the caller's, or the implicit one of a multi-statement query):
 *
 * 1. `LOCK TABLE route_stream_head` (self-exclusive; no routing transaction takes it, and
 *    LOCK takes no snapshot): one round at a time, and the next statement's snapshot is taken
 *    after the previous round committed.
 * 2. The numbering, from that snapshot, which holds only committed rows. Why this never skips
 *    a change, and why id order is commit order where order matters:
 *    - A row that is not yet committed is not in the snapshot: it stays NULL and gets a later
 *      position in a later round, never a number below one already handed out (the outbox trap).
 *    - If transaction B had to wait for A's commit (both wrote the same row: a project's row,
 *      a domain, a hostname's gateway config), B took its id after A committed (recordRouteChange
 *      is B's last statement), so id(A) < id(B); and every snapshot in which B is committed has
 *      A committed too, so A is numbered in the same round as B (by id: before it) or earlier.
 *      Changes of one project or one hostname therefore come in commit order; changes that share
 *      nothing may come in either order of two overlapping commits.
 * 3. Announces the new head on ROUTE_CHANGES_CHANNEL (delivered at commit), only when the round
 *    numbered something; a round with nothing to do writes nothing and commits without a WAL flush.
 *
 * Positions stay consecutive: a transaction that rolled back never gets one.
 */
export async function sequenceRouteChanges(db: Queryable): Promise<SequencedRouteChanges> {
  // A multi-statement simple query (no parameters): each statement gets its own snapshot.
  const results: unknown = await db.query(
    `SET LOCAL lock_timeout = '5s';
     LOCK TABLE route_stream_head IN SHARE ROW EXCLUSIVE MODE;
     WITH pending AS (
       SELECT id, row_number() OVER (ORDER BY id) AS n FROM route_changes WHERE position IS NULL
     ), head AS (
       UPDATE route_stream_head SET position = position + (SELECT count(*) FROM pending)
        WHERE id AND EXISTS (SELECT 1 FROM pending)
       RETURNING position
     ), sequenced AS (
       UPDATE route_changes c SET position = head.position - (SELECT count(*) FROM pending) + pending.n
         FROM pending, head WHERE c.id = pending.id
       RETURNING c.id
     ), announced AS (
       SELECT pg_notify('${ROUTE_CHANGES_CHANNEL}', '${ROUTE_STREAM_SEQUENCED_PREFIX}' || position) FROM head
     )
     SELECT COALESCE((SELECT position FROM head), (SELECT position FROM route_stream_head WHERE id)) AS head,
            (SELECT count(*) FROM sequenced)::int AS sequenced,
            (SELECT count(*) FROM announced)::int AS announced`,
  );
  const last = (Array.isArray(results) ? results.at(-1) : results) as QueryResult<{ head: bigint; sequenced: number }>;
  const row = last.rows[0]!;
  return { head: row.head, sequenced: row.sequenced };
}
