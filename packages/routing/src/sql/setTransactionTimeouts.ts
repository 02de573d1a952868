import type { Queryable } from "@hydra/db";

/** Bounds every statement and row-lock wait for the rest of the transaction. */
export async function setTransactionTimeouts(db: Queryable, timeoutMs: number): Promise<void> {
  await db.query({
    name: "routing_setTransactionTimeouts",
    text: "SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $1, true)",
    values: [`${timeoutMs}ms`],
  });
}
