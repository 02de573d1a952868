import { z } from "zod";
import { ConfigError, duration, listenAddress, loadConfig, redisUrls } from "./config";

describe("config parsers", () => {
  it.each([
    ["500", 500],
    ["250ms", 250],
    ["5s", 5000],
    ["15m", 900_000],
    ["1h", 3_600_000],
  ])("duration %j = %d ms", (input, expected) => {
    expect(duration.parse(input)).toBe(expected);
  });

  it.each(["", "soon", "-5s", "5 parsecs"])("duration rejects %j", (input) => {
    expect(duration.safeParse(input).success).toBe(false);
  });

  it.each([
    ["127.0.0.1:7001", { host: "127.0.0.1", port: 7001 }],
    ["0.0.0.0:0", { host: "0.0.0.0", port: 0 }],
    ["[::1]:7002", { host: "::1", port: 7002 }],
  ])("listen address %j", (input, expected) => {
    expect(listenAddress.parse(input)).toEqual(expected);
  });

  it.each(["7001", "localhost", "host:99999", ":7001"])("listen address rejects %j", (input) => {
    expect(listenAddress.safeParse(input).success).toBe(false);
  });

  it("redis URLs split on commas", () => {
    expect(redisUrls.parse("redis://a:1, redis://b:2")).toEqual(["redis://a:1", "redis://b:2"]);
    expect(redisUrls.safeParse("http://a").success).toBe(false);
  });

  it("reports every bad variable at once, by name", () => {
    const schema = z.object({ A_ADDR: listenAddress, A_WAIT: duration });
    try {
      loadConfig(schema, { A_ADDR: "nope", A_WAIT: "later" });
      throw new Error("expected a ConfigError");
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(/^A_ADDR: /);
      expect(problems[1]).toMatch(/^A_WAIT: /);
    }
  });
});
