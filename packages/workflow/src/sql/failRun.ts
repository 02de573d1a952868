import type { ErrorCode } from "@hydra/db/errors";
import type { FailureKind } from "../errors";
import { notifySql, type Queryable } from "./rows";

export interface RunFailure {
  status: "failed" | "cancelled";
  error: string;
  code: ErrorCode | null;
  kind: FailureKind;
}

/** Ends the run as failed (terminal error, deadline) or cancelled, after its compensations ran. */
export async function failRun(db: Queryable, runId: string, epoch: bigint, failure: RunFailure): Promise<boolean> {
  const result = await db.query({
    text: `
      WITH done AS (
        UPDATE workflow_runs
        SET status = $3::workflow_run_status, error = $4, error_code = $5, error_kind = $6::workflow_failure_kind, owner = NULL,
            lease_expires_at = NULL, ended_at = now(), updated_at = now()
        WHERE id = $1 AND epoch = $2 AND status = 'running'
        RETURNING id, kind
      )
      SELECT ${notifySql("ended")} FROM done`,
    values: [runId, epoch, failure.status, failure.error, failure.code, failure.kind],
  });
  return result.rowCount === 1;
}
