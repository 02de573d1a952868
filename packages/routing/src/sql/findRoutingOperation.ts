import type { Queryable } from "@hydra/db";
import type { RoutingOperationRow } from "./rows";

/** The committed operation recorded under an idempotency key, if any. */
export async function findRoutingOperation(
  db: Queryable,
  idempotencyKey: string,
): Promise<RoutingOperationRow | undefined> {
  const { rows } = await db.query<RoutingOperationRow>({
    name: "routing_findRoutingOperation",
    text: `SELECT id, project_id, routing_generation, kind, request_hash, response
             FROM routing_operations WHERE idempotency_key = $1`,
    values: [idempotencyKey],
  });
  return rows[0];
}
