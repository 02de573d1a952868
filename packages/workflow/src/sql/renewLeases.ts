import type { Queryable } from "./rows";

export interface RenewedLease {
  id: string;
  cancel_requested_at: Date | null;
}

/**
 * The heartbeat: extends the lease of every run this worker still owns at the epoch it holds.
 * A run missing from the answer was reclaimed by a sweeper: its owner must stop.
 */
export async function renewLeases(
  db: Queryable,
  held: { id: string; epoch: bigint }[],
  leaseMs: number,
): Promise<RenewedLease[]> {
  if (held.length === 0) return [];
  const result = await db.query<RenewedLease>({
    name: "workflow_renewLeases",
    text: `
      UPDATE workflow_runs r
      SET lease_expires_at = now() + $3::int * interval '1 millisecond'
      FROM unnest($1::text[], $2::bigint[]) AS held(id, epoch)
      WHERE r.id = held.id AND r.epoch = held.epoch AND r.status = 'running'
      RETURNING r.id, r.cancel_requested_at`,
    values: [held.map((h) => h.id), held.map((h) => h.epoch.toString()), leaseMs],
  });
  return result.rows;
}
