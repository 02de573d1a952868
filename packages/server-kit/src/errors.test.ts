import { Code, ConnectError } from "@connectrpc/connect";
import { toConnectError } from "./errors";

describe("toConnectError", () => {
  it("keeps ConnectErrors as they are", () => {
    const original = new ConnectError("deployment dep_x not found", Code.NotFound);
    expect(toConnectError(original)).toBe(original);
  });

  it.each([
    [{ code: "ECONNREFUSED", message: "connect ECONNREFUSED 127.0.0.1:5432" }, Code.Unavailable],
    [{ code: "57P01", message: "terminating connection due to administrator command" }, Code.Unavailable],
    [{ code: "08006", message: "connection failure" }, Code.Unavailable],
    [{ code: "53300", message: "too many clients" }, Code.Unavailable],
    [{ code: "40001", message: "could not serialize access" }, Code.Aborted],
    [{ code: "40P01", message: "deadlock detected" }, Code.Aborted],
    [new Error("Connection terminated unexpectedly"), Code.Unavailable],
    [new Error("undefined is not a function"), Code.Internal],
    ["a string", Code.Internal],
  ])("%j → %s", (error, code) => {
    expect(toConnectError(error).code).toBe(code);
  });

  it("never leaks an unknown error's message", () => {
    expect(toConnectError(new Error("secret row data")).rawMessage).toBe("internal error");
  });
});
