import { resolveRegions } from "./regions";

describe("resolveRegions", () => {
  const configured = ["us-east-1", "eu-west-1"];

  it("defaults to every configured region with one replica", () => {
    expect(resolveRegions({}, configured)).toEqual({ ok: true, regions: { "eu-west-1": 1, "us-east-1": 1 } });
  });

  it.each([
    [{ "us-east-1": 3 }, { "us-east-1": 3 }],
    [
      { "us-east-1": 1, "eu-west-1": 2 },
      { "eu-west-1": 2, "us-east-1": 1 },
    ],
  ])("accepts %j", (requested, regions) => {
    expect(resolveRegions(requested, configured)).toEqual({ ok: true, regions });
  });

  it.each([
    [{ "ap-south-1": 1 }, /region "ap-south-1" has no cluster configured; configured regions: us-east-1, eu-west-1/],
    [{ "us-east-1": 0 }, /replicas must be 1-100, got 0/],
    [{ "us-east-1": 101 }, /replicas must be 1-100, got 101/],
  ])("rejects %j", (requested, why) => {
    const result = resolveRegions(requested, configured);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(why);
  });

  it("rejects when nothing is configured", () => {
    expect(resolveRegions({}, [])).toEqual({ ok: false, problem: expect.stringMatching(/no cluster region/) });
  });
});
