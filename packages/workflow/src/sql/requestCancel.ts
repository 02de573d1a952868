import type { CancelKind } from "../errors";
import { CHANNEL, type Queryable, type RunStatus } from "./rows";

export interface CancelAnswer {
  previous: RunStatus;
  current: RunStatus;
}

/**
 * Asks a run to stop. A run that never started ends at once. A sleeping or paused run becomes
 * pending, so a worker claims it and runs its compensations. A running run keeps going until
 * its owner (told by a notification, or by its next checkpoint) reaches a step boundary.
 * An ended run is left as it is. Returns null when there is no such run.
 */
export async function requestCancel(
  db: Queryable,
  id: string,
  reason: string,
  kind: CancelKind,
): Promise<CancelAnswer | null> {
  const result = await db.query<CancelAnswer>({
    text: `
      WITH target AS (
        SELECT id, status FROM workflow_runs WHERE id = $1 FOR UPDATE
      ), changed AS (
        UPDATE workflow_runs r
        SET cancel_requested_at = coalesce(r.cancel_requested_at, now()),
            cancel_reason = coalesce(r.cancel_reason, $2),
            cancel_kind = coalesce(r.cancel_kind, $3::workflow_cancel_kind),
            status = CASE WHEN r.status = 'pending' AND r.epoch = 0 THEN 'cancelled'
                          WHEN r.status IN ('sleeping', 'paused') THEN 'pending'
                          ELSE r.status END,
            error = CASE WHEN r.status = 'pending' AND r.epoch = 0 THEN $2 ELSE r.error END,
            error_kind = CASE WHEN r.status = 'pending' AND r.epoch = 0 THEN coalesce(r.cancel_kind, $3::workflow_cancel_kind)::text::workflow_failure_kind ELSE r.error_kind END,
            ended_at = CASE WHEN r.status = 'pending' AND r.epoch = 0 THEN now() ELSE r.ended_at END,
            wake_at = CASE WHEN r.status IN ('sleeping', 'paused') THEN NULL ELSE r.wake_at END,
            updated_at = now()
        FROM target
        WHERE r.id = target.id AND target.status NOT IN ('completed', 'failed', 'cancelled')
        RETURNING r.id, r.kind, r.status
      )
      SELECT t.status AS previous, coalesce(c.status, t.status) AS current,
             CASE WHEN c.id IS NOT NULL THEN pg_notify('${CHANNEL}', json_build_object(
               'event', CASE c.status WHEN 'cancelled' THEN 'ended' WHEN 'pending' THEN 'ready' ELSE 'cancel' END,
               'id', c.id, 'kind', c.kind)::text) END AS notified
      FROM target t LEFT JOIN changed c ON true`,
    values: [id, reason, kind],
  });
  return result.rows[0] ?? null;
}
