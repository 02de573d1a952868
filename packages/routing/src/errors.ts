import { classifyPostgresError, type ErrorCode } from "@hydra/db/errors";

/** Why a routing call was refused: names from the one error vocabulary (@hydra/db/errors), each one Connect code. */
export type RoutingErrorCode = Extract<
  ErrorCode,
  | "invalid_argument"
  | "not_found"
  | "permission_denied"
  | "failed_precondition"
  | "already_exists"
  | "aborted"
  | "unavailable"
>;

/** A refusal of the routing core. Whatever the code, nothing was written. */
export class RoutingError extends Error {
  override readonly name = "RoutingError";
  constructor(
    readonly code: RoutingErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Turns a Postgres failure into a RoutingError when it has a meaning for the caller (by the
 * one classifier in @hydra/db): unreachable → unavailable; lock/statement timeout,
 * serialization failure or deadlock → aborted (retry later). Anything else is a bug and stays as it is.
 */
export function classifyDatabaseError(error: unknown): unknown {
  if (error instanceof RoutingError) return error;
  const failure = classifyPostgresError(error);
  if (!failure) return error;
  const { message } = error as { message?: unknown };
  const text = typeof message === "string" ? message : String(error);
  return failure === "unavailable"
    ? new RoutingError("unavailable", `database unavailable: ${text}`, { cause: error })
    : new RoutingError("aborted", `database contention, retry: ${text}`, { cause: error });
}
