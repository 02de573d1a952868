import { toJsonParam, type Queryable } from "./rows";

export interface StepCheckpoint {
  runId: string;
  epoch: bigint;
  sequence: number;
  name: string;
  attempts: number;
  output: unknown;
  startedAt: Date;
}

/** `fenced`: the run is no longer ours at this epoch, nothing was written. */
export type CheckpointResult = { fenced: true } | { fenced: false; saved: boolean; cancelRequested: boolean };

/**
 * The checkpoint of a step, in ONE statement: the fence (the run is still ours at this epoch)
 * and the write. FOR SHARE makes the fence a real lock: a sweeper bumping the epoch either
 * waits for this statement or, if it committed first, this statement re-reads the row, sees
 * the new epoch and writes nothing. The (run_id, sequence) key makes a second write of the
 * same step impossible. The answer also tells whether a cancel was requested, for free.
 */
export async function completeStep(db: Queryable, c: StepCheckpoint): Promise<CheckpointResult> {
  const result = await db.query<{ saved: number; cancel_requested_at: Date | null }>({
    name: "workflow_completeStep",
    text: `
      WITH lease AS (
        SELECT cancel_requested_at FROM workflow_runs
        WHERE id = $1 AND epoch = $2 AND status = 'running'
        FOR SHARE
      ), saved AS (
        INSERT INTO workflow_steps AS s (run_id, sequence, name, status, attempts, output, started_at, ended_at)
        SELECT $1, $3, $4, 'completed', $5, $6::jsonb, $7, now() FROM lease
        ON CONFLICT (run_id, sequence) DO UPDATE
          SET status = 'completed', attempts = EXCLUDED.attempts, output = EXCLUDED.output,
              error = NULL, ended_at = EXCLUDED.ended_at
          WHERE s.name = EXCLUDED.name AND s.status <> 'completed'
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM saved)::int AS saved, cancel_requested_at FROM lease`,
    values: [c.runId, c.epoch, c.sequence, c.name, c.attempts, toJsonParam(c.output), c.startedAt],
  });
  const row = result.rows[0];
  if (!row) return { fenced: true };
  return { fenced: false, saved: row.saved === 1, cancelRequested: row.cancel_requested_at !== null };
}
