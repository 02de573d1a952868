import type { ErrorCode } from "@hydra/db/errors";
import type { FailureKind } from "../errors";
import { notifySql, type Queryable } from "./rows";

export interface PauseParams {
  runId: string;
  epoch: bigint;
  error: string;
  /** The last error's code, if it had one (e.g. aborted: contention that outlasted the retries). */
  code: ErrorCode | null;
  kind: Extract<FailureKind, "failed" | "exhausted" | "nondeterministic">;
  /** The step whose retry budget ran out, recorded with its attempts and last error; absent for other causes. */
  step?: { sequence: number; name: string; attempts: number; error: string; startedAt: Date };
}

/**
 * Parks the run for an operator (resume or cancel) with the error that stopped it, and hands
 * back the lease. Fenced by the epoch. Announced like an ending so waiters can see it.
 */
export async function pauseRun(db: Queryable, p: PauseParams): Promise<boolean> {
  const result = await db.query({
    text: `
      WITH run AS (
        UPDATE workflow_runs
        SET status = 'paused', error = $3, error_code = $9, error_kind = $10::workflow_failure_kind, owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE id = $1 AND epoch = $2 AND status = 'running'
        RETURNING id, kind
      ), step AS (
        INSERT INTO workflow_steps AS s (run_id, sequence, name, status, attempts, error, started_at)
        SELECT id, $4::int, $5, 'running', $6, $8, $7 FROM run WHERE $4::int IS NOT NULL
        ON CONFLICT (run_id, sequence) DO UPDATE SET attempts = EXCLUDED.attempts, error = EXCLUDED.error
          WHERE s.name = EXCLUDED.name AND s.status <> 'completed'
        RETURNING 1
      )
      SELECT ${notifySql("ended")}, (SELECT count(*) FROM step) AS step_saved FROM run`,
    values: [
      p.runId,
      p.epoch,
      p.error,
      p.step?.sequence ?? null,
      p.step?.name ?? null,
      p.step?.attempts ?? null,
      p.step?.startedAt ?? null,
      p.step?.error ?? null,
      p.code,
      p.kind,
    ],
  });
  return result.rowCount === 1;
}
