import { inTransaction, type Pool } from "@hydra/db";
import { createRun, type CreateRunParams } from "./createRun";
import { findActiveRunOfKey } from "./findActiveRunOfKey";
import { lockRunKey } from "./lockRunKey";
import type { RunRow } from "./rows";

/**
 * Creates the run unless another run of its kind and key is active (not ended, no cancel
 * requested): then `active` is that run and nothing is written. Under the key's advisory
 * lock, so concurrent callers cannot both create one. `run` is null when the id was taken.
 */
export async function createExclusiveRun(
  pool: Pool,
  p: CreateRunParams,
): Promise<{ run: RunRow | null; active: RunRow | null }> {
  return inTransaction(pool, async (client) => {
    await lockRunKey(client, p.kind, p.key);
    const active = await findActiveRunOfKey(client, p.kind, p.key);
    if (active && active.id !== p.id) return { run: null, active };
    return { run: await createRun(client, p), active: null };
  });
}
