import { branchProblem } from "./branch";

describe("branchProblem", () => {
  it.each(["main", "feature/login", "release-1.2", "fix_bug", "dependabot/npm_and_yarn/x-1.0.0", "UPPER"])(
    "accepts %j",
    (b) => {
      expect(branchProblem(b)).toBeUndefined();
    },
  );

  it.each([
    "",
    "a b",
    "a..b",
    "a~1",
    "a^",
    "a:b",
    "a?",
    "a*",
    "a[",
    "a\\b",
    "/a",
    "a/",
    "a.",
    "-a",
    "a//b",
    "a@{1}",
    "@",
    ".a",
    "a/.b",
    "a.lock",
    "x".repeat(256),
  ])("rejects %j", (b) => {
    expect(branchProblem(b)).toBeDefined();
  });
});
