import { notifySql, type Queryable, type RunRow } from "./rows";

export interface CreateRunParams {
  id: string;
  kind: string;
  key: string;
  input: unknown;
  inputHash: string;
  /** When set, the run is created already claimed by this worker (epoch 1): it starts at once. */
  owner: string | null;
  leaseMs: number;
  deadlineMs: number | null;
}

/**
 * Inserts a run unless one with this id exists (the id is the caller's idempotency key).
 * Returns the new row, or null when the id was taken. A run nobody claimed is announced
 * as ready so a listening instance picks it up.
 */
export async function createRun(db: Queryable, p: CreateRunParams): Promise<RunRow | null> {
  const result = await db.query<RunRow>({
    name: "workflow_createRun",
    text: `
      WITH inserted AS (
        INSERT INTO workflow_runs (id, kind, key, input, input_hash, status, owner, epoch, lease_expires_at, deadline_at)
        VALUES ($1, $2, $3, $4::jsonb, $5,
                CASE WHEN $6::text IS NULL THEN 'pending' ELSE 'running' END::workflow_run_status,
                $6::text,
                CASE WHEN $6::text IS NULL THEN 0 ELSE 1 END,
                CASE WHEN $6::text IS NULL THEN NULL ELSE now() + $7::int * interval '1 millisecond' END,
                now() + $8::bigint * interval '1 millisecond')
        ON CONFLICT (id) DO NOTHING
        RETURNING *
      ), announced AS (
        SELECT ${notifySql("ready")} FROM inserted WHERE owner IS NULL
      )
      SELECT inserted.*, (SELECT count(*) FROM announced) AS announced FROM inserted`,
    values: [p.id, p.kind, p.key, JSON.stringify(p.input ?? null), p.inputHash, p.owner, p.leaseMs, p.deadlineMs],
  });
  return result.rows[0] ?? null;
}
