import {
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  labelSelector,
  namespaceName,
  networkPolicyName,
  sentinelName,
  toDnsLabel,
  workloadName,
  deploymentServiceName,
} from "./names";

describe("DNS-1123 names from ids", () => {
  it.each([
    // TypeIDs: only `_` changes.
    ["dep_01jc5x8y9z0a1b2c3d4e5f6g7h", "dep-01jc5x8y9z0a1b2c3d4e5f6g7h"],
    ["ws_01h455vb4pex5vsknk084sn02q", "ws-01h455vb4pex5vsknk084sn02q"],
    ["my_prefix_01h455vb4pex5vsknk084sn02q", "my-prefix-01h455vb4pex5vsknk084sn02q"],
    // Anything else is made valid, deterministically.
    ["Dep_ABC", "dep-abc"],
    ["a.b/c d", "a-b-c-d"],
    ["__x__", "x"],
    ["0abc", "x-0abc"],
    ["123", "x-123"],
    ["-", "x"],
  ])("%j → %j", (id, expected) => {
    const label = toDnsLabel(id);
    expect(label).toBe(expected);
    expect(isDns1123Label(label)).toBe(true);
    expect(isDns1035Label(label)).toBe(true);
    expect(toDnsLabel(id)).toBe(label); // pure
  });

  it("keeps long values within 63 characters and distinct", () => {
    const a = toDnsLabel(`dep_${"a".repeat(80)}`);
    const b = toDnsLabel(`dep_${"a".repeat(81)}`);
    expect(a).toHaveLength(63);
    expect(b).toHaveLength(63);
    expect(a).not.toBe(b);
    expect(isDns1035Label(a) && isDns1035Label(b)).toBe(true);
  });

  it("rejects an empty id", () => {
    expect(() => toDnsLabel("")).toThrow(/empty/);
  });

  it("names each object kind from its id", () => {
    expect(namespaceName("ws_01h455vb4pex5vsknk084sn02q")).toBe("ws-01h455vb4pex5vsknk084sn02q");
    expect(workloadName("dep_01h455vb4pex5vsknk084sn02q")).toBe("dep-01h455vb4pex5vsknk084sn02q");
    expect(networkPolicyName("dep_01h455vb4pex5vsknk084sn02q")).toBe("dep-01h455vb4pex5vsknk084sn02q");
    expect(sentinelName("env_01h455vb4pex5vsknk084sn02q")).toBe("sentinel-env-01h455vb4pex5vsknk084sn02q");
    const service = deploymentServiceName("dep_01h455vb4pex5vsknk084sn02q", "env_01h455vb4pex5vsknk084sn03r");
    expect(service).toBe("dep-01h455vb4pex5vsknk084sn02q-env-01h455vb4pex5vsknk084sn03r");
    expect(isDns1035Label(service)).toBe(true);
  });

  it.each([
    ["abc", true, true, true],
    ["a-b", true, true, true],
    ["1abc", true, false, true],
    ["a.b", false, false, true],
    ["A", false, false, false],
    ["a_b", false, false, false],
    ["-a", false, false, false],
    ["a-", false, false, false],
    ["a".repeat(63), true, true, true],
    ["a".repeat(64), false, false, true],
  ])("%j: label %s, DNS-1035 %s, subdomain %s", (value, label, dns1035, subdomain) => {
    expect(isDns1123Label(value)).toBe(label);
    expect(isDns1035Label(value)).toBe(dns1035);
    expect(isDns1123Subdomain(value)).toBe(subdomain);
  });

  it("writes label selectors in a stable order", () => {
    expect(labelSelector({ "hydra.dev/b": "2", "hydra.dev/a": "1" })).toBe("hydra.dev/a=1,hydra.dev/b=2");
  });
});
