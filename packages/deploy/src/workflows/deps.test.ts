import { Code, ConnectError } from "@connectrpc/connect";
import { TerminalError, type ErrorCode } from "@hydra/workflow";
import { codedTerminal, codeOfFailure, failureReason, isTerminalError } from "./deps";

describe("failure codes", () => {
  it.each<[string, ErrorCode | null, Code]>([
    ["source dep_a is not live", "failed_precondition", Code.FailedPrecondition],
    ["deployment dep_x not found", "not_found", Code.NotFound],
    ["plain failure", null, Code.Aborted],
  ])("%j with code %s answers %s", (message, code, connectCode) => {
    expect(codeOfFailure({ error: message, code })).toEqual({ code: connectCode, message });
  });

  it.each<[string, TerminalError, string]>([
    [
      "coded",
      new TerminalError("source dep_a is not live", { code: "failed_precondition" }),
      "failed_precondition: source dep_a is not live",
    ],
    ["uncoded", new TerminalError("build failed"), "build failed"],
  ])("failureReason of a %s error", (_what, error, reason) => {
    expect(failureReason(error)).toBe(reason);
  });

  it("codedTerminal carries the code as data, not in the message", () => {
    const error = codedTerminal(Code.PermissionDenied, "domain x.example is owned by ws_b");
    expect(error).toMatchObject({
      code: "permission_denied",
      kind: "refused",
      message: "domain x.example is owned by ws_b",
    });
    expect(codeOfFailure({ error: error.message, code: error.code })).toEqual({
      code: Code.PermissionDenied,
      message: "domain x.example is owned by ws_b",
    });
  });
});

describe("isTerminalError", () => {
  it.each<[string, unknown, boolean]>([
    ["TerminalError", new TerminalError("x"), true],
    ["cluster error, transient", Object.assign(new Error("503"), { transient: true }), false],
    ["cluster error, terminal", Object.assign(new Error("422"), { transient: false }), true],
    ["routing unavailable", new ConnectError("redis down", Code.Unavailable), false],
    ["routing aborted (lock wait)", new ConnectError("lock", Code.Aborted), false],
    ["routing permission denied", new ConnectError("foreign domain", Code.PermissionDenied), true],
    ["routing failed precondition", new ConnectError("cas", Code.FailedPrecondition), true],
    ["plain error", new Error("ECONNRESET"), false],
  ])("%s", (_what, error, terminal) => {
    expect(isTerminalError(error)).toBe(terminal);
  });
});
