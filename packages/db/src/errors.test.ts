import { classifyPostgresError, errorCode, isRetryable, type ErrorCode } from "./errors";

const withCode = (message: string, code: unknown) => Object.assign(new Error(message), { code });

describe("classifyPostgresError", () => {
  it.each<[string, unknown, "unavailable" | "aborted" | null]>([
    ["connection refused", withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"), "unavailable"],
    ["connection reset, from another realm", { code: "ECONNRESET", message: "read ECONNRESET" }, "unavailable"],
    ["dns retry", withCode("getaddrinfo EAI_AGAIN db", "EAI_AGAIN"), "unavailable"],
    ["admin shutdown 57P01", withCode("terminating connection due to administrator command", "57P01"), "unavailable"],
    [
      "crash shutdown 57P02",
      withCode("terminating connection because of crash of another server process", "57P02"),
      "unavailable",
    ],
    ["cannot connect now 57P03", withCode("the database system is starting up", "57P03"), "unavailable"],
    ["too many connections 53300", withCode("sorry, too many clients already", "53300"), "unavailable"],
    ["connection exception class 08", withCode("connection failure", "08006"), "unavailable"],
    ["pool timeout", new Error("timeout exceeded when trying to connect"), "unavailable"],
    ["connection terminated", new Error("Connection terminated unexpectedly"), "unavailable"],
    ["serialization failure 40001", withCode("could not serialize access", "40001"), "aborted"],
    ["deadlock 40P01", withCode("deadlock detected", "40P01"), "aborted"],
    ["lock timeout 55P03", withCode("canceling statement due to lock timeout", "55P03"), "aborted"],
    ["statement timeout 57014", withCode("canceling statement due to statement timeout", "57014"), "aborted"],
    ["syntax error stays a bug", withCode("syntax error", "42601"), null],
    ["unique violation stays as is", withCode("duplicate key", "23505"), null],
    ["plain error", new Error("undefined is not a function"), null],
    ["not an object", "a string", null],
  ])("%s", (_name, error, expected) => {
    expect(classifyPostgresError(error)).toBe(expected);
  });
});

class ConnectError extends Error {
  override name = "ConnectError";
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

describe("errorCode and isRetryable", () => {
  it.each<[string, unknown, ErrorCode | null, boolean]>([
    ["own snake_case code", withCode("domain is taken", "already_exists"), "already_exists", false],
    ["own retryable code", withCode("redis down", "unavailable"), "unavailable", true],
    ["ConnectError 9 (FailedPrecondition)", new ConnectError("cas", 9), "failed_precondition", false],
    ["ConnectError 10 (Aborted)", new ConnectError("lock", 10), "aborted", true],
    ["ConnectError 14 (Unavailable)", new ConnectError("down", 14), "unavailable", true],
    ["ConnectError 7 (PermissionDenied)", new ConnectError("foreign domain", 7), "permission_denied", false],
    ["ConnectError 2 (Unknown)", new ConnectError("?", 2), "unknown", true],
    ["a number code on a non-Connect error", withCode("x", 9), null, true],
    ["PascalCase is not our convention", withCode("x", "NotFound"), null, true],
    ["database down", withCode("terminating connection", "57P01"), "unavailable", true],
    ["database contention", withCode("deadlock detected", "40P01"), "aborted", true],
    ["constraint violation", withCode("duplicate key", "23505"), null, true],
    ["says transient itself", Object.assign(withCode("503", "not_found"), { transient: true }), "not_found", true],
    ["says final itself", Object.assign(new Error("422"), { transient: false }), null, false],
    ["plain error", new Error("ECONNRESET"), null, true],
  ])("%s", (_name, error, code, retryable) => {
    expect(errorCode(error)).toBe(code);
    expect(isRetryable(error)).toBe(retryable);
  });
});
