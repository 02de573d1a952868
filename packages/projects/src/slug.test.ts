import { combinedSlugProblem, slugProblem } from "./slug";

describe("slugs", () => {
  it.each(["a", "acme", "acme-corp", "a1", "0", "x".repeat(63)])("accepts %j", (slug) => {
    expect(slugProblem(slug)).toBeUndefined();
  });

  it.each([
    ["", /empty/],
    ["x".repeat(64), /at most 63/],
    ["Acme", /lower-case/],
    ["-acme", /starting and ending/],
    ["acme-", /starting and ending/],
    ["ac_me", /lower-case/],
    ["ac.me", /lower-case/],
    ["ac me", /lower-case/],
    ["é", /lower-case/],
  ])("rejects %j", (slug, why) => {
    expect(slugProblem(slug)).toMatch(why);
  });

  it("limits a project's and its workspace's slugs together", () => {
    expect(combinedSlugProblem("p".repeat(25), "w".repeat(25))).toBeUndefined();
    expect(combinedSlugProblem("p".repeat(26), "w".repeat(25))).toMatch(/51 characters together; at most 50/);
  });
});
