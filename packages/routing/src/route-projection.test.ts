import { isLocalHostname } from "./hostname";
import { routeInRegion, validateRegion } from "./route-projection";

const sentinel = (region: string) => ({
  region,
  serviceHost: `sentinel.${region}.svc.cluster.local`,
  servicePort: 80,
  externalAddress: "",
});
const stored = (config: Record<string, unknown>, hostname = "app.hydra.run") => ({
  hostname,
  deploymentId: "dep_stored",
  config,
});
const isLocal = (hostname: string) => isLocalHostname(hostname, "hydra.run");

describe("routeInRegion", () => {
  it.each<[string, ReturnType<typeof stored>, string | undefined]>([
    [
      "the region's sentinel",
      stored({ deploymentId: "dep_a", isEnabled: true, sentinels: [sentinel("eu"), sentinel("us")] }),
      "sentinel.us.svc.cluster.local",
    ],
    [
      "no sentinel in the region",
      stored({ deploymentId: "dep_a", isEnabled: true, sentinels: [sentinel("eu")] }),
      undefined,
    ],
    ["disabled", stored({ deploymentId: "dep_a", isEnabled: false, sentinels: [sentinel("us")] }), undefined],
    [
      "local hostname",
      stored({ deploymentId: "dep_a", isEnabled: true, sentinels: [sentinel("us")] }, "app.localhost"),
      undefined,
    ],
    [
      "an old config with pod instances only",
      stored({ deploymentId: "dep_a", isEnabled: true, instances: [{ id: "i", address: "10.0.0.1:80" }] }),
      undefined,
    ],
  ])("%s", (_name, route, expectedHost) => {
    expect(routeInRegion(route, "us", isLocal)?.sentinel?.serviceHost).toBe(expectedHost);
  });

  it("names the config's deployment, falling back to the row's", () => {
    expect(
      routeInRegion(stored({ deploymentId: "dep_a", isEnabled: true, sentinels: [sentinel("us")] }), "us", isLocal)
        ?.deploymentId,
    ).toBe("dep_a");
    expect(routeInRegion(stored({ isEnabled: true, sentinels: [sentinel("us")] }), "us", isLocal)?.deploymentId).toBe(
      "dep_stored",
    );
  });
});

describe("validateRegion", () => {
  it.each(["", "*", "US", "us east", "-us", "%", "us,eu"])("%j → invalid_argument", (region) => {
    expect(() => validateRegion(region)).toThrow(expect.objectContaining({ code: "invalid_argument" }));
  });
  it.each(["local", "us-east-1", "eu2"])("%j is a region", (region) => {
    expect(validateRegion(region)).toBe(region);
  });
});
