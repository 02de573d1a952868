import { Code, ConnectError } from "@connectrpc/connect";
import { TerminalError } from "@hydra/workflow";
import { codedTerminal, codeOfFailure, failureReason, isTerminalError } from "./deps";

describe("failure codes", () => {
  it.each([
    ["[FailedPrecondition] source dep_a is not live", Code.FailedPrecondition, "source dep_a is not live", "failed_precondition: source dep_a is not live"],
    ["TerminalError: [NotFound] deployment dep_x not found", Code.NotFound, "deployment dep_x not found", "not_found: deployment dep_x not found"],
    ["plain failure", Code.Aborted, "plain failure", "plain failure"],
    ["[NoSuchCode] x", Code.Aborted, "[NoSuchCode] x", "no_such_code: x"],
  ])("%j", (message, code, text, reason) => {
    expect(codeOfFailure(message)).toEqual({ code, message: text });
    expect(failureReason(message)).toBe(reason);
  });

  it("round-trips through codedTerminal", () => {
    const error = codedTerminal(Code.PermissionDenied, "domain x.example is owned by ws_b");
    expect(codeOfFailure(error.message)).toEqual({ code: Code.PermissionDenied, message: "domain x.example is owned by ws_b" });
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
