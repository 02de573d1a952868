import type { ErrorCode } from "@hydra/db/errors";
import type { CheckpointResult } from "./completeStep";
import type { Queryable } from "./rows";

export interface StepAttempt {
  runId: string;
  epoch: bigint;
  sequence: number;
  name: string;
  /** `running`: a transient failure, to be retried. `failed`: terminal, replayed as the same error. */
  status: "running" | "failed";
  attempts: number;
  error: string;
  /** For a terminal failure: its code and kind, replayed with it. */
  code?: ErrorCode | null;
  kind?: "refused" | "failed" | null;
  startedAt: Date;
}

/** Records a failed attempt (fenced like completeStep), so the retry budget survives a crash. */
export async function saveStepAttempt(db: Queryable, a: StepAttempt): Promise<CheckpointResult> {
  const result = await db.query<{ saved: number; cancel_requested_at: Date | null }>({
    name: "workflow_saveStepAttempt",
    text: `
      WITH lease AS (
        SELECT cancel_requested_at FROM workflow_runs
        WHERE id = $1 AND epoch = $2 AND status = 'running'
        FOR SHARE
      ), saved AS (
        INSERT INTO workflow_steps AS s (run_id, sequence, name, status, attempts, error, error_code, error_kind, started_at, ended_at)
        SELECT $1, $3, $4, $5::workflow_step_status, $6, $7, $9, $10::workflow_failure_kind, $8,
               CASE WHEN $5::workflow_step_status = 'failed' THEN now() END
        FROM lease
        ON CONFLICT (run_id, sequence) DO UPDATE
          SET status = EXCLUDED.status, attempts = EXCLUDED.attempts, error = EXCLUDED.error,
              error_code = EXCLUDED.error_code, error_kind = EXCLUDED.error_kind, ended_at = EXCLUDED.ended_at
          WHERE s.name = EXCLUDED.name AND s.status <> 'completed'
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM saved)::int AS saved, cancel_requested_at FROM lease`,
    values: [
      a.runId,
      a.epoch,
      a.sequence,
      a.name,
      a.status,
      a.attempts,
      a.error,
      a.startedAt,
      a.code ?? null,
      a.kind ?? null,
    ],
  });
  const row = result.rows[0];
  if (!row) return { fenced: true };
  return { fenced: false, saved: row.saved === 1, cancelRequested: row.cancel_requested_at !== null };
}
