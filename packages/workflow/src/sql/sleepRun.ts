import type { Queryable } from "./rows";

/**
 * A durable sleep: records the timer as a step and hands the run back (no owner, no lease)
 * until `wakeAt`, when a sweeper makes it pending again. Fenced by the epoch. Refused
 * (returns false) when the run is no longer ours or a cancel was requested meanwhile.
 */
export async function sleepRun(
  db: Queryable,
  s: { runId: string; epoch: bigint; sequence: number; name: string; wakeAt: Date },
): Promise<boolean> {
  const result = await db.query({
    name: "workflow_sleepRun",
    text: `
      WITH run AS (
        UPDATE workflow_runs
        SET status = 'sleeping', wake_at = $4, owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE id = $1 AND epoch = $2 AND status = 'running' AND cancel_requested_at IS NULL
        RETURNING id
      ), timer AS (
        INSERT INTO workflow_steps (run_id, sequence, name, status, attempts, output, started_at)
        SELECT id, $3, $5, 'running', 1, json_build_object('wakeAt', $4::timestamptz), now() FROM run
        ON CONFLICT (run_id, sequence) DO NOTHING
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM timer) AS recorded FROM run`,
    values: [s.runId, s.epoch, s.sequence, s.wakeAt, s.name],
  });
  return result.rowCount === 1;
}
