import type { GitSource } from "./backend";
import { gitBuildContext } from "./git-source";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const source = (overrides: Partial<GitSource>): GitSource => ({
  installationId: 0n,
  repository: "acme/api",
  commitSha: SHA,
  contextPath: "",
  dockerfilePath: "",
  branch: "main",
  ...overrides,
});

describe("gitBuildContext accepts", () => {
  it.each([
    [{}, `https://github.com/acme/api.git#${SHA}`, "Dockerfile"],
    [{ contextPath: "." }, `https://github.com/acme/api.git#${SHA}`, "Dockerfile"],
    [{ contextPath: "services/web/" }, `https://github.com/acme/api.git#${SHA}:services/web`, "Dockerfile"],
    [
      { contextPath: "./app", dockerfilePath: "docker/Dockerfile.prod" },
      `https://github.com/acme/api.git#${SHA}:app`,
      "docker/Dockerfile.prod",
    ],
    [{ repository: "https://github.com/acme/api.git" }, `https://github.com/acme/api.git#${SHA}`, "Dockerfile"],
    [{ repository: "https://github.com/acme/my.repo" }, `https://github.com/acme/my.repo.git#${SHA}`, "Dockerfile"],
    [{ commitSha: SHA.toUpperCase() }, `https://github.com/acme/api.git#${SHA}`, "Dockerfile"],
  ])("%j", (overrides, contextUrl, dockerfilePath) => {
    const context = gitBuildContext(source(overrides));
    expect(context.contextUrl).toBe(contextUrl);
    expect(context.dockerfilePath).toBe(dockerfilePath);
  });
});

describe("gitBuildContext rejects", () => {
  it.each([
    [{ repository: "" }, /git.repository/],
    [{ repository: "acme" }, /git.repository/],
    [{ repository: "acme/api/extra" }, /git.repository/],
    [{ repository: "-acme/api" }, /git.repository/],
    [{ repository: "acme/.." }, /git.repository/],
    [{ repository: "https://gitlab.com/acme/api" }, /git.repository/],
    [{ repository: "acme/api#main" }, /git.repository/],
    [{ commitSha: "" }, /git.commit_sha/],
    [{ commitSha: "0123456" }, /full 40-character/],
    [{ commitSha: "z".repeat(40) }, /git.commit_sha/],
    [{ contextPath: "/abs" }, /git.context_path .* relative/],
    [{ contextPath: "../up" }, /git.context_path/],
    [{ contextPath: "a/../../b" }, /git.context_path/],
    [{ contextPath: "a//b" }, /git.context_path/],
    [{ contextPath: "a b" }, /git.context_path/],
    [{ contextPath: "a#b" }, /git.context_path/],
    [{ dockerfilePath: "../Dockerfile" }, /git.dockerfile_path/],
    [{ dockerfilePath: "/etc/passwd" }, /git.dockerfile_path/],
  ])("%j", (overrides, message) => {
    expect(() => gitBuildContext(source(overrides))).toThrow(message);
  });
});
