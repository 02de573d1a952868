import { Code } from "@connectrpc/connect";
import { RoutingError, type RoutingErrorCode } from "@hydra/routing";
import { type RoutingLogger, toConnectError } from "./routing-service";

const logged: string[] = [];
const logger: RoutingLogger = {
  info: (_f, m) => logged.push(`info ${m}`),
  warn: (_f, m) => logged.push(`warn ${m}`),
  error: (_f, m) => logged.push(`error ${m}`),
};

describe("toConnectError", () => {
  it.each<[RoutingErrorCode, Code]>([
    ["invalid_argument", Code.InvalidArgument],
    ["not_found", Code.NotFound],
    ["permission_denied", Code.PermissionDenied],
    ["failed_precondition", Code.FailedPrecondition],
    ["already_exists", Code.AlreadyExists],
    ["aborted", Code.Aborted],
    ["unavailable", Code.Unavailable],
  ])("%s → %s", (code, connectCode) => {
    const error = toConnectError(new RoutingError(code, `because ${code}`), logger, {});
    expect(error.code).toBe(connectCode);
    expect(error.rawMessage).toBe(`because ${code}`);
  });

  it("turns an unreachable database into unavailable and a bug into internal, logging both", () => {
    logged.length = 0;
    expect(
      toConnectError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), logger, {}).code,
    ).toBe(Code.Unavailable);
    expect(toConnectError(new TypeError("undefined is not a function"), logger, {}).code).toBe(Code.Internal);
    expect(logged).toEqual(["warn routing call failed", "error routing call failed"]);
  });
});
