import type { Queryable } from "./queryable";

export interface RoutingOperationRow {
  id: string;
  projectId: string;
  routingGeneration: bigint;
  kind: string;
  requestHash: string;
  response: unknown;
}

/** The committed operation recorded under an idempotency key, if any. */
export async function selectRoutingOperation(db: Queryable, idempotencyKey: string): Promise<RoutingOperationRow | undefined> {
  const { rows } = await db.query<RoutingOperationRow>(
    `SELECT id, project_id AS "projectId", routing_generation AS "routingGeneration", kind,
            request_hash AS "requestHash", response
       FROM routing_operations WHERE idempotency_key = $1`,
    [idempotencyKey],
  );
  return rows[0];
}
