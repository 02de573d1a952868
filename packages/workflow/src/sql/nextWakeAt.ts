import type { Queryable } from "./rows";

/** When the earliest sleeping run is due (its timer or its deadline), so the sweeper can fire on time. */
export async function nextWakeAt(db: Queryable): Promise<Date | null> {
  const result = await db.query<{ at: Date | null }>({
    name: "workflow_nextWakeAt",
    text: `SELECT min(least(wake_at, coalesce(deadline_at, wake_at))) AS at FROM workflow_runs WHERE status = 'sleeping'`,
  });
  return result.rows[0]?.at ?? null;
}
