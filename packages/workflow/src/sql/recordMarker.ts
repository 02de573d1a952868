import { toJsonParam, type Queryable } from "./rows";

/**
 * Records, at the step boundary where it was observed, that the run stopped going forward
 * (`$cancelled`, `$deadline`). It replaces an unfinished step at that sequence, so a replay
 * reaches the same decision at the same place and runs the same compensations after it.
 */
export async function recordMarker(
  db: Queryable,
  m: { runId: string; epoch: bigint; sequence: number; name: string; output: unknown },
): Promise<boolean> {
  const result = await db.query({
    text: `
      WITH lease AS (
        SELECT 1 FROM workflow_runs WHERE id = $1 AND epoch = $2 AND status = 'running' FOR SHARE
      )
      INSERT INTO workflow_steps AS s (run_id, sequence, name, status, attempts, output, started_at, ended_at)
      SELECT $1, $3, $4, 'completed', 1, $5::jsonb, now(), now() FROM lease
      ON CONFLICT (run_id, sequence) DO UPDATE
        SET name = EXCLUDED.name, status = 'completed', output = EXCLUDED.output, error = NULL, ended_at = now()
        WHERE s.status <> 'completed'`,
    values: [m.runId, m.epoch, m.sequence, m.name, toJsonParam(m.output)],
  });
  return result.rowCount === 1;
}
