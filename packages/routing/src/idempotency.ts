import { createHash } from "node:crypto";
import { clone, type DescMessage, fromJson, type JsonValue, type MessageShape, toBinary } from "@bufbuild/protobuf";
import type { Queryable } from "@hydra/db";
import { RoutingError } from "./errors";
import { findRoutingOperation } from "./sql/findRoutingOperation";

/** What a routing operation record was written by. */
export type RoutingOperationKind = "assign_domains" | "switch_domains";

/** Hash of the request without its idempotency key (and advisory fields): a retry must ask for the same thing. */
export function hashRequest<Req extends DescMessage>(
  schema: Req,
  request: MessageShape<Req> & { idempotencyKey: string },
  ignoring?: (copy: MessageShape<Req>) => void,
): string {
  const copy = clone(schema, request) as MessageShape<Req> & { idempotencyKey: string };
  copy.idempotencyKey = "";
  ignoring?.(copy);
  return createHash("sha256").update(toBinary(schema, copy)).digest("hex");
}

/**
 * The recorded answer of a committed call with this key, or undefined when there is none.
 * The same key for another request (kind or hash) is `already_exists`.
 */
export async function replayRecorded<Res extends DescMessage>(
  db: Queryable,
  key: string,
  kind: RoutingOperationKind,
  requestHash: string,
  responseSchema: Res,
): Promise<MessageShape<Res> | undefined> {
  const recorded = await findRoutingOperation(db, key);
  if (!recorded) return undefined;
  if (recorded.kind !== kind || recorded.request_hash !== requestHash) {
    throw new RoutingError(
      "already_exists",
      `idempotency key "${key}" was already used for a different ${recorded.kind} request (generation ${recorded.routing_generation} of project ${recorded.project_id})`,
    );
  }
  return fromJson(responseSchema, recorded.response as JsonValue);
}

export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown };
  return e?.code === "23505" && e.constraint === constraint;
}
