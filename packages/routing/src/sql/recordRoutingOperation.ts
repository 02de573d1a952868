import type { Queryable } from "@hydra/db";

export interface NewRoutingOperation {
  id: string;
  projectId: string;
  kind: string;
  idempotencyKey: string | null;
  requestHash: string;
  /** The answer, built for the generation after `expected`. */
  response: unknown;
}

/**
 * Compare-and-set of the fencing token and the record of the committed mutation at the new
 * generation, in one statement: the new generation, or undefined — nothing written — when the
 * project's generation is no longer `expected` (another holder committed since this one took
 * the lock). (project, generation) and the idempotency key are unique.
 */
export async function recordRoutingOperation(
  db: Queryable,
  expected: bigint,
  op: NewRoutingOperation,
): Promise<bigint | undefined> {
  const { rows } = await db.query<{ routing_generation: bigint }>({
    name: "routing_recordRoutingOperation",
    text: `WITH bumped AS (
             UPDATE projects SET routing_generation = routing_generation + 1, updated_at = now()
              WHERE id = $2 AND routing_generation = $3
              RETURNING routing_generation
           )
           INSERT INTO routing_operations (id, project_id, routing_generation, kind, idempotency_key, request_hash, response)
           SELECT $1, $2, routing_generation, $4, $5, $6, $7::jsonb FROM bumped
           RETURNING routing_generation`,
    values: [
      op.id,
      op.projectId,
      expected.toString(),
      op.kind,
      op.idempotencyKey,
      op.requestHash,
      JSON.stringify(op.response),
    ],
  });
  return rows[0]?.routing_generation;
}
