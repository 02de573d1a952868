import { Code, ConnectError } from "@connectrpc/connect";
import { classifyPostgresError, numberOfErrorCode, type ErrorCode } from "@hydra/db/errors";

/** The Connect code of a name of the one vocabulary (@hydra/db/errors): Connect numbers them in that order. */
export function connectCode(code: ErrorCode): Code {
  return numberOfErrorCode(code) as Code;
}

/** A library's typed error (RoutingError, BuildError…: `code` from the one vocabulary) as callers see it, message kept. */
export function codedConnectError(error: Error & { code: ErrorCode }): ConnectError {
  return new ConnectError(error.message, connectCode(error.code), undefined, undefined, error);
}

/**
 * Maps what a handler threw to the Connect error the caller sees. Domain code throws
 * ConnectErrors with precise codes; this handles the rest: infrastructure failures become
 * `unavailable` (retryable), anything unknown `internal` without leaking details.
 */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  const code = infrastructureCode(error);
  if (code !== undefined) {
    return new ConnectError(describe(error), code, undefined, undefined, error);
  }
  return new ConnectError("internal error", Code.Internal, undefined, undefined, error);
}

interface ErrorWithCode {
  code?: unknown;
  message?: unknown;
}

/** Infrastructure failures by the one classifier in @hydra/db: unreachable → unavailable, contention → aborted. */
function infrastructureCode(error: unknown): Code | undefined {
  switch (classifyPostgresError(error)) {
    case "unavailable":
      return Code.Unavailable;
    case "aborted":
      return Code.Aborted;
    default:
      return undefined;
  }
}

function describe(error: unknown): string {
  const { code, message } = error as ErrorWithCode;
  const text = typeof message === "string" && message ? message : String(error);
  return typeof code === "string" ? `${text} (${code})` : text;
}
