import { classifyDatabaseError, RoutingError } from "./errors";

describe("classifyDatabaseError", () => {
  it.each<[string, object, string | undefined]>([
    [
      "connection refused",
      Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }),
      "unavailable",
    ],
    ["admin shutdown", Object.assign(new Error("terminating connection"), { code: "57P01" }), "unavailable"],
    ["connection exception class 08", Object.assign(new Error("connection failure"), { code: "08006" }), "unavailable"],
    ["pool timeout", new Error("timeout exceeded when trying to connect"), "unavailable"],
    ["connection terminated", new Error("Connection terminated unexpectedly"), "unavailable"],
    ["lock timeout", Object.assign(new Error("canceling statement due to lock timeout"), { code: "55P03" }), "aborted"],
    [
      "statement timeout",
      Object.assign(new Error("canceling statement due to statement timeout"), { code: "57014" }),
      "aborted",
    ],
    ["deadlock", Object.assign(new Error("deadlock detected"), { code: "40P01" }), "aborted"],
    ["a plain object from another realm", { code: "ECONNRESET", message: "read ECONNRESET" }, "unavailable"],
    ["syntax error stays a bug", Object.assign(new Error("syntax error"), { code: "42601" }), undefined],
    ["unique violation stays as is", Object.assign(new Error("duplicate key"), { code: "23505" }), undefined],
  ])("%s", (_name, error, code) => {
    const classified = classifyDatabaseError(error);
    if (code === undefined) expect(classified).toBe(error);
    else expect(classified).toMatchObject({ code });
  });

  it("leaves a RoutingError alone", () => {
    const error = new RoutingError("not_found", "x");
    expect(classifyDatabaseError(error)).toBe(error);
  });
});
