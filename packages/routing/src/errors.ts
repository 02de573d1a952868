/** Why a routing call was refused; each maps one-to-one onto a Connect code. */
export type RoutingErrorCode =
  | "invalid_argument"
  | "not_found"
  | "permission_denied"
  | "failed_precondition"
  | "already_exists"
  | "aborted"
  | "unavailable";

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

const PG_UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EPIPE", "EHOSTUNREACH"]);

/**
 * Turns a Postgres failure into a RoutingError when it has a meaning for the caller:
 * unreachable → unavailable; lock/statement timeout, serialization failure or deadlock →
 * aborted (retry later). Anything else is a bug and stays as it is.
 */
export function classifyDatabaseError(error: unknown): unknown {
  // Duck-typed, not `instanceof Error`: socket errors may come from another realm (Jest's vm).
  if (error instanceof RoutingError || typeof error !== "object" || error === null) return error;
  const { code, message: rawMessage } = error as { code?: unknown; message?: unknown };
  const message = typeof rawMessage === "string" ? rawMessage : String(error);
  if (typeof code === "string") {
    if (PG_UNAVAILABLE_CODES.has(code) || code.startsWith("08") || code === "57P01" || code === "57P03") {
      return new RoutingError("unavailable", `database unavailable: ${message}`, { cause: error });
    }
    if (code === "55P03" || code === "57014" || code === "40001" || code === "40P01") {
      return new RoutingError("aborted", `database contention, retry: ${message}`, { cause: error });
    }
  }
  if (/connection terminated|timeout exceeded when trying to connect|connection is closed/i.test(message)) {
    return new RoutingError("unavailable", `database unavailable: ${message}`, { cause: error });
  }
  return error;
}
