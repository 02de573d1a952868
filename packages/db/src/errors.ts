/**
 * Errors as data, one vocabulary for every package: a failure's code is one of Connect's
 * code names in snake_case (`failed_precondition`, `unavailable`…), carried as a field and
 * never parsed from a message. Only the services turn these names into Connect codes.
 */
export const ERROR_CODES = [
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && KNOWN_CODES.has(value);
}

/** Connect (and gRPC) number their codes 1..16 in ERROR_CODES' order. */
export function errorCodeOfNumber(code: number): ErrorCode | null {
  return ERROR_CODES[code - 1] ?? null;
}

export function numberOfErrorCode(code: ErrorCode): number {
  return ERROR_CODES.indexOf(code) + 1;
}

/** Codes worth another attempt: the same call may succeed later. */
const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set([
  "unavailable",
  "aborted",
  "deadline_exceeded",
  "resource_exhausted",
  "unknown",
  "internal",
]);

/** Socket errors of an unreachable database (or any server). */
const UNREACHABLE_NODE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
]);

/** SQLSTATEs that mean the database cannot serve now: 57P01-03 shutdown / cannot connect now, 53300 too many connections (class 08 below). */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);

/** SQLSTATEs of contention: 40001 serialization failure, 40P01 deadlock, 55P03 lock timeout, 57014 statement timeout. Retry the whole call. */
const CONTENTION_SQLSTATES = new Set(["40001", "40P01", "55P03", "57014"]);

/** node-postgres reports a lost or unobtainable connection with these messages and no code. */
const CONNECTION_LOST_MESSAGE = /connection terminated|timeout exceeded when trying to connect|connection is closed/i;

/**
 * What a PostgreSQL (or node-postgres) failure means for the caller: `unavailable` (the
 * database cannot be reached or is shutting down), `aborted` (contention: retry the call),
 * or null (anything else, e.g. a constraint violation or a bug, which stays as it is).
 * Duck-typed, not `instanceof`: socket errors may come from another realm (Jest's vm).
 */
export function classifyPostgresError(error: unknown): "unavailable" | "aborted" | null {
  if (typeof error !== "object" || error === null) return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === "string") {
    if (UNREACHABLE_NODE_CODES.has(code) || code.startsWith("08") || UNAVAILABLE_SQLSTATES.has(code))
      return "unavailable";
    if (CONTENTION_SQLSTATES.has(code)) return "aborted";
  }
  if (typeof message === "string" && CONNECTION_LOST_MESSAGE.test(message)) return "unavailable";
  return null;
}

/**
 * The code of any error: its own `code` when that is one of ERROR_CODES (RoutingError,
 * BuildError, ClusterError, the workflow's TerminalError), a ConnectError's numeric code by name, a
 * database failure's class; null when it has none.
 */
export function errorCode(error: unknown): ErrorCode | null {
  if (typeof error !== "object" || error === null) return null;
  const { code, name } = error as { code?: unknown; name?: unknown };
  if (isErrorCode(code)) return code;
  if (name === "ConnectError" && typeof code === "number") return errorCodeOfNumber(code);
  return classifyPostgresError(error);
}

/**
 * The one retry predicate: whether the same call may succeed later. An error that says so
 * itself (`transient: boolean`, e.g. ClusterError) is taken at its word; otherwise by its
 * code; an error without a code (an unknown cause) is retried, its retry budget bounds it.
 */
export function isRetryable(error: unknown): boolean {
  if (typeof error === "object" && error !== null) {
    const { transient } = error as { transient?: unknown };
    if (typeof transient === "boolean") return transient;
  }
  const code = errorCode(error);
  return code === null || RETRYABLE_CODES.has(code);
}
