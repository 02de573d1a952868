import { canonicalHost, hostnameProblem, isLocalHostname, isValidHostname } from "./hostname";

describe("hostnameProblem (RFC 1123, lower-case, ≤ 253)", () => {
  it.each([
    ["example.com", true],
    ["a.b.c.example.com", true],
    ["acme-git-main-team.hydra.dev", true],
    ["x", true],
    ["localhost", true],
    ["0day.example.com", true],
    ["127.0.0.1", true],
    ["::1", true],
    ["", false],
    ["Example.com", false],
    ["example.com.", false],
    ["example.com:8080", false],
    ["-a.example.com", false],
    ["a-.example.com", false],
    ["a..example.com", false],
    [".example.com", false],
    ["under_score.example.com", false],
    ["*.example.com", false],
    ["héllo.example.com", false],
    ["ex ample.com", false],
    [`${"a".repeat(63)}.com`, true],
    [`${"a".repeat(64)}.com`, false],
    [`${"a.".repeat(126)}a`, true], // 253 characters
    [`${"a.".repeat(126)}ab`, false], // 254 characters
  ])("%s → valid %s", (name, valid) => {
    expect(isValidHostname(name)).toBe(valid);
  });

  it("says what is wrong", () => {
    expect(hostnameProblem("Example.com")).toBe("must be lower-case");
    expect(hostnameProblem("a".repeat(254))).toMatch(/254 characters/);
  });
});

describe("canonicalHost", () => {
  it.each([
    ["Example.COM", "example.com"],
    ["example.com.", "example.com"],
    ["example.com:443", "example.com"],
    ["Example.com.:80", "example.com"],
    ["[::1]:8080", "::1"],
    ["::1", "::1"],
    ["127.0.0.1:3000", "127.0.0.1"],
  ])("%s → %s", (raw, canonical) => {
    expect(canonicalHost(raw)).toBe(canonical);
  });
});

describe("isLocalHostname", () => {
  it.each<[string, string | undefined, boolean]>([
    ["localhost", undefined, true],
    ["LOCALHOST", undefined, true],
    ["localhost:3000", undefined, true],
    ["localhost.", undefined, true],
    ["app.localhost", undefined, true],
    ["a.b.localhost", undefined, true],
    ["127.0.0.1", undefined, true],
    ["127.1.2.3:8080", undefined, true],
    ["128.0.0.1", undefined, false],
    ["10.0.0.1", undefined, false],
    ["::1", undefined, true],
    ["[::1]:8080", undefined, true],
    ["0:0:0:0:0:0:0:1", undefined, true],
    ["::2", undefined, false],
    ["printer.local", undefined, true],
    ["app.test", undefined, true],
    ["App.Test.", undefined, true],
    ["example.com", undefined, false],
    ["localhost.example.com", undefined, false],
    ["test.example.com", undefined, false],
    ["mylocalhost", undefined, false],
    ["latest", undefined, false],
    ["notlocal", undefined, false],
    // Equal to or under HYDRA_DEFAULT_DOMAIN: never local, whatever the TLD.
    ["hydra.test", "hydra.test", false],
    ["acme-main-team.hydra.test", "hydra.test", false],
    ["ACME.hydra.test:443", "hydra.test", false],
    ["other.test", "hydra.test", true],
    ["app.localhost", "localhost", false],
    ["app.localhost", "example.com", true],
    ["example.com", "example.com", false],
  ])("%s (default domain %s) → local %s", (host, apex, local) => {
    expect(isLocalHostname(host, apex)).toBe(local);
  });
});
