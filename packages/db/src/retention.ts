/**
 * Runs one batched delete (`deleteBatch(limit)` → rows deleted) until a batch comes back short
 * or `maxBatches` ran: short transactions, so retention never holds locks long, and a bounded
 * amount of work per tick (the next tick goes on). Returns the rows deleted.
 */
export async function deleteInBatches(
  deleteBatch: (limit: number) => Promise<number>,
  batch = 1_000,
  maxBatches = 100,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const deleted = await deleteBatch(batch);
    total += deleted;
    if (deleted < batch) break;
  }
  return total;
}

/** The cutoff for a retention period; undefined when the period is 0 (keep forever). */
export function retentionCutoff(retentionMs: number, now = new Date()): Date | undefined {
  return retentionMs > 0 ? new Date(now.getTime() - retentionMs) : undefined;
}
