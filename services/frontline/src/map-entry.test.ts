import { create } from "@bufbuild/protobuf";
import { RouteSchema } from "@hydra/proto/hydra/v1";
import { SentinelResolver, sentinelAddress } from "./map-entry";

const route = (
  sentinel: { serviceHost?: string; servicePort?: number; externalAddress?: string } | undefined,
  deploymentId = "dep_01abc",
) =>
  create(RouteSchema, {
    hostname: "app.hydra.run",
    deploymentId,
    sentinel: sentinel && { region: "local", ...sentinel },
  });

describe("sentinelAddress", () => {
  it.each<[string, ReturnType<typeof route>, { host: string; port: number } | undefined]>([
    [
      "the external address first",
      route({ serviceHost: "s.ns.svc.cluster.local", servicePort: 80, externalAddress: "127.0.0.9:8123" }),
      { host: "127.0.0.9", port: 8123 },
    ],
    ["an IPv6 external address", route({ externalAddress: "[::1]:81" }), { host: "::1", port: 81 }],
    [
      "else the Service's cluster DNS name",
      route({ serviceHost: "s.ns.svc.cluster.local", servicePort: 80 }),
      { host: "s.ns.svc.cluster.local", port: 80 },
    ],
    ["a malformed external address", route({ externalAddress: "nope" }), undefined],
    ["no sentinel", route(undefined), undefined],
  ])("%s", (_name, r, expected) => {
    expect(sentinelAddress(r)).toEqual(expected);
  });
});

describe("SentinelResolver", () => {
  const resolver = new SentinelResolver();
  it("makes `<deployment>/<ip>/<port>`, once the name is resolved", async () => {
    const byIp = route({ externalAddress: "127.0.0.9:8123" });
    expect(resolver.unresolvedHost(byIp)).toBeUndefined();
    expect(resolver.valueOf(byIp)).toBe("dep_01abc/127.0.0.9/8123");
    const byName = route({ serviceHost: "localhost", servicePort: 80 });
    expect(resolver.unresolvedHost(byName)).toBe("localhost");
    expect(resolver.valueOf(byName)).toBeUndefined();
    await resolver.resolve(["localhost"]);
    expect(resolver.unresolvedHost(byName)).toBeUndefined();
    expect(resolver.valueOf(byName)).toBe("dep_01abc/127.0.0.1/80");
  });
  it("refuses a deployment id that could break the map value", () => {
    expect(resolver.valueOf(route({ externalAddress: "127.0.0.9:8123" }, "dep/x y"))).toBeUndefined();
  });
});
