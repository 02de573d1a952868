import { Code, ConnectError } from "@connectrpc/connect";
import { ERROR_CODES } from "@hydra/db/errors";
import { codedConnectError, connectCode, toConnectError } from "./errors";

describe("connectCode", () => {
  it.each(ERROR_CODES.map((name) => [name, name.replace(/(^|_)([a-z])/g, (_m, _sep, c: string) => c.toUpperCase())]))(
    "%s → Code.%s",
    (name, connectName) => {
      expect(Code[connectCode(name)]).toBe(connectName);
    },
  );

  it("codedConnectError keeps a typed error's message and maps its code", () => {
    const error = Object.assign(new Error("domain x.example is owned by another project"), {
      code: "permission_denied" as const,
    });
    const mapped = codedConnectError(error);
    expect({ code: mapped.code, message: mapped.rawMessage, cause: mapped.cause }).toEqual({
      code: Code.PermissionDenied,
      message: error.message,
      cause: error,
    });
  });
});

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
