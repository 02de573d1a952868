import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clusterConfigFromEnv, parseClusters } from "./config";
import { createClusterDriver } from "./factory";

describe("HYDRA_CLUSTERS", () => {
  it("parses a JSON string", () => {
    expect(
      parseClusters('{"us-east": {"kubeconfig": "/k/us.yaml", "context": "us"}, "eu-west": {"inCluster": true}}'),
    ).toEqual({
      "us-east": { kubeconfig: "/k/us.yaml", context: "us" },
      "eu-west": { inCluster: true },
    });
  });

  it("keeps a region's sentinelAddress template", () => {
    expect(
      parseClusters('{"us-east": {"inCluster": true, "sentinelAddress": "{name}.{namespace}.use1.example.net:80"}}'),
    ).toEqual({
      "us-east": { inCluster: true, sentinelAddress: "{name}.{namespace}.use1.example.net:80" },
    });
  });

  it("reads a YAML file, resolving relative kubeconfig paths against it", () => {
    const dir = mkdtempSync(join(tmpdir(), "hydra-clusters-"));
    const file = join(dir, "clusters.yaml");
    writeFileSync(
      file,
      "us-east:\n  kubeconfig: ./kubeconfig.yaml\n  context: kind-us-east\neu-west:\n  context: kind-eu-west\n",
    );
    expect(parseClusters(file)).toEqual({
      "us-east": { kubeconfig: join(dir, "kubeconfig.yaml"), context: "kind-us-east" },
      "eu-west": { context: "kind-eu-west" },
    });
  });

  it.each([
    ["{not json", /not valid JSON/],
    ["/nonexistent/clusters.json", /cannot be read/],
    ["{}", /configures no region/],
    ['{"US_East": {}}', /DNS-1123 label/],
    ['{"a": "x"}', /must be an object/],
    ['{"a": {"kubeconfig": 1}}', /kubeconfig must be a path/],
    ['{"a": {"inCluster": true, "context": "c"}}', /inCluster excludes/],
    ['{"a": {"kubconfig": "/x"}}', /unknown keys kubconfig/],
    ['{"a": {"sentinelAddress": "no-port"}}', /sentinelAddress must be host:port/],
    ['{"a": {"sentinelAddress": "{name}.x:70000"}}', /port must be 1-65535/],
    ['{"a": {"sentinelAddress": "{env}.x:80"}}', /unknown placeholder \{env\}/],
    ['{"a": {"sentinelAddress": 80}}', /sentinelAddress must be a string/],
  ])("rejects %j", (value, message) => {
    expect(() => parseClusters(value)).toThrow(message);
    try {
      parseClusters(value);
    } catch (error) {
      expect(error).toMatchObject({ code: "failed_precondition", kind: "configuration", transient: false });
    }
  });
});

describe("driver configuration from the environment", () => {
  it("defaults to the simulated driver with region local and 50 ms", () => {
    expect(clusterConfigFromEnv({})).toEqual({ kind: "simulated", regions: ["local"], readyMs: 50 });
    expect(clusterConfigFromEnv({ HYDRA_SIMULATED_READY_MS: "5", HYDRA_SIMULATED_REGIONS: "a,b" })).toEqual({
      kind: "simulated",
      regions: ["a", "b"],
      readyMs: 5,
    });
  });

  it("selects kubernetes when HYDRA_CLUSTERS is set", () => {
    expect(clusterConfigFromEnv({ HYDRA_CLUSTERS: '{"r1": {"context": "c"}}' })).toEqual({
      kind: "kubernetes",
      clusters: { r1: { context: "c" } },
    });
  });

  it("requires HYDRA_CLUSTERS for the kubernetes driver and rejects unknown drivers", () => {
    expect(() => clusterConfigFromEnv({ HYDRA_CLUSTER_DRIVER: "kubernetes" })).toThrow(/needs HYDRA_CLUSTERS/);
    expect(() => clusterConfigFromEnv({ HYDRA_CLUSTER_DRIVER: "nomad" })).toThrow(
      /must be "kubernetes" or "simulated"/,
    );
    expect(() => clusterConfigFromEnv({ HYDRA_SIMULATED_READY_MS: "soon" })).toThrow(/HYDRA_SIMULATED_READY_MS/);
  });

  it("creates the driver the configuration selects", async () => {
    const simulated = createClusterDriver({ kind: "simulated" });
    expect(simulated.kind).toBe("simulated");
    expect(simulated.regions()).toEqual(["local"]);
    await simulated.close();
    const dir = mkdtempSync(join(tmpdir(), "hydra-kubeconfig-"));
    const kubeconfig = join(dir, "config");
    writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]",
        "users: [{name: u, user: {token: t}}]",
        "contexts: [{name: one, context: {cluster: c, user: u}}, {name: two, context: {cluster: c, user: u}}]",
        "current-context: one",
      ].join("\n"),
    );
    const kubernetes = createClusterDriver({
      kind: "kubernetes",
      clusters: { b: { kubeconfig, context: "two" }, a: { kubeconfig } },
    });
    expect(kubernetes.kind).toBe("kubernetes");
    expect(kubernetes.regions()).toEqual(["a", "b"]);
    await kubernetes.close();
    expect(() =>
      createClusterDriver({ kind: "kubernetes", clusters: { a: { kubeconfig, context: "three" } } }),
    ).toThrow(/has no context "three"/);
  });
});
