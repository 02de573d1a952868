import { type DescMessage, type MessageShape, toJson } from "@bufbuild/protobuf";
import { inTransaction, newId, type Pool, type Queryable } from "@hydra/db";
import { classifyDatabaseError, RoutingError } from "./errors";
import { hashRequest, isUniqueViolation, replayRecorded, type RoutingOperationKind } from "./idempotency";
import type { LockHold, ProjectLock } from "./lock";
import { findRoutingGeneration } from "./sql/findRoutingGeneration";
import { lockProject } from "./sql/lockProject";
import { recordRouteChange } from "./sql/recordRouteChange";
import { recordRoutingOperation } from "./sql/recordRoutingOperation";
import type { LockedProjectRow, StoredRoute } from "./sql/rows";
import { setTransactionTimeouts } from "./sql/setTransactionTimeouts";

export interface FencedMutationContext {
  pool: Pool;
  lock: ProjectLock;
  /** Bound on every statement and row-lock wait inside the transaction. */
  statementTimeoutMs: number;
  /** Test seam: runs after the lock is held and the fence read, before the transaction. */
  afterLockHook?: (projectId: string) => Promise<void>;
}

/** What a mutation did: its answer (routing generation filled in afterwards) and the routes it wrote. */
export interface AppliedMutation<Response> {
  response: Response;
  routes: StoredRoute[];
}

export interface FencedMutation<Req extends DescMessage, Res extends DescMessage> {
  kind: RoutingOperationKind;
  requestSchema: Req;
  request: MessageShape<Req> & { idempotencyKey: string };
  /** Clears the fields that are the caller's advisory reading, not part of what it asks for. */
  hashIgnoring?: (copy: MessageShape<Req>) => void;
  responseSchema: Res;
  /** The project the mutation serializes on (may read the database). */
  projectId: () => Promise<string>;
  /** The change itself, inside the project's transaction; its routing generation is filled in afterwards. */
  apply: (
    tx: Queryable,
    project: LockedProjectRow,
  ) => Promise<AppliedMutation<MessageShape<Res> & { routingGeneration: bigint }>>;
}

/**
 * The commit protocol of every routing mutation: a retry of a committed call is answered from
 * its record; otherwise take the project's lock, read the fencing generation, and in one
 * transaction lock the project row, check the fence, apply, bump the generation (compare-and-
 * set), record the answer under the idempotency key and, last, the routes it wrote in the
 * route stream's outbox (no global lock: the sequencer numbers them after commit). A
 * `RoutingError` means nothing was written.
 */
export async function runFencedMutation<Req extends DescMessage, Res extends DescMessage>(
  context: FencedMutationContext,
  op: FencedMutation<Req, Res>,
): Promise<MessageShape<Res>> {
  const key = op.request.idempotencyKey || null;
  const requestHash = hashRequest(op.requestSchema, op.request, op.hashIgnoring);
  const replay = (db: Queryable) =>
    key ? replayRecorded(db, key, op.kind, requestHash, op.responseSchema) : Promise.resolve(undefined);
  try {
    // A retry of a committed call is answered from the record, without the lock.
    const recorded = await replay(context.pool);
    if (recorded) return recorded;
    const projectId = await op.projectId();
    return await context.lock.withLock(projectId, async (hold) => {
      const fence = await findRoutingGeneration(context.pool, projectId);
      if (fence === undefined) throw new RoutingError("not_found", `project ${projectId} not found`);
      await context.afterLockHook?.(projectId);
      return inTransaction(context.pool, async (tx) => {
        await setTransactionTimeouts(tx, context.statementTimeoutMs);
        const project = await lockProject(tx, projectId);
        if (!project) throw new RoutingError("not_found", `project ${projectId} not found`);
        const again = await replay(tx);
        if (again) return again;
        if (project.routing_generation !== fence) {
          throw new RoutingError(
            "aborted",
            `project ${projectId}: routing generation moved from ${fence} to ${project.routing_generation} after the lock was taken (lease lost); retry`,
          );
        }
        const { response, routes } = await op.apply(tx, project);
        assertStillHeld(hold, projectId);
        // The compare-and-set below makes it exactly this generation, or writes nothing.
        response.routingGeneration = fence + 1n;
        const generation = await recordRoutingOperation(tx, fence, {
          id: newId("routingOperation"),
          projectId,
          kind: op.kind,
          idempotencyKey: key,
          requestHash,
          response: toJson(op.responseSchema, response),
        });
        if (generation === undefined) {
          throw new RoutingError(
            "aborted",
            `project ${projectId}: routing generation is no longer ${fence} (lease lost); retry`,
          );
        }
        // Last: the change's id must be taken after every row this transaction wrote (sql/recordRouteChange.ts).
        if (routes.length > 0) await recordRouteChange(tx, projectId, generation, routes);
        return response;
      });
    });
  } catch (error) {
    // A concurrent first call with the same key committed first: answer as its retry.
    if (key && isUniqueViolation(error, "routing_operations_idempotency_key_key")) {
      const recorded = await replay(context.pool).catch(() => undefined);
      if (recorded) return recorded;
    }
    if (isUniqueViolation(error, "domains_name_key")) {
      throw new RoutingError("aborted", "a domain was created concurrently by another project; retry", {
        cause: error,
      });
    }
    throw classifyDatabaseError(error);
  }
}

function assertStillHeld(hold: LockHold, projectId: string): void {
  if (hold.signal.aborted) {
    const reason = hold.signal.reason instanceof Error ? hold.signal.reason.message : "lease lost";
    throw new RoutingError("aborted", `project ${projectId}: ${reason}; nothing was committed, retry`);
  }
}
