import type { Queryable } from "@hydra/db";

export interface NewRoutingOperation {
  id: string;
  projectId: string;
  routingGeneration: bigint;
  kind: string;
  idempotencyKey: string | null;
  requestHash: string;
  response: unknown;
}

/** Records a committed mutation; (project, generation) and the idempotency key are unique. */
export async function insertRoutingOperation(db: Queryable, op: NewRoutingOperation): Promise<void> {
  await db.query({
    name: "routing_insertRoutingOperation",
    text: `INSERT INTO routing_operations (id, project_id, routing_generation, kind, idempotency_key, request_hash, response)
           VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`,
    values: [
      op.id,
      op.projectId,
      op.routingGeneration.toString(),
      op.kind,
      op.idempotencyKey,
      op.requestHash,
      JSON.stringify(op.response),
    ],
  });
}
