import { Code, ConnectError } from "@connectrpc/connect";

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

const UNAVAILABLE_NODE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);

function infrastructureCode(error: unknown): Code | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, message } = error as ErrorWithCode;
  if (typeof code === "string") {
    if (UNAVAILABLE_NODE_CODES.has(code)) return Code.Unavailable;
    // PostgreSQL SQLSTATE classes: 08 connection exception, 57P01-03 shutdown/cannot connect
    // now, 53300 too many connections.
    if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === "53300") return Code.Unavailable;
    // 40001 serialization failure, 40P01 deadlock: safe to retry the whole call.
    if (code === "40001" || code === "40P01") return Code.Aborted;
  }
  if (typeof message === "string" && /Connection terminated|timeout exceeded when trying to connect|Connection is closed/i.test(message)) {
    return Code.Unavailable;
  }
  return undefined;
}

function describe(error: unknown): string {
  const { code, message } = error as ErrorWithCode;
  const text = typeof message === "string" && message ? message : String(error);
  return typeof code === "string" ? `${text} (${code})` : text;
}
