import { buildSourceFromProto, buildSourceFromRecord } from "./backend";
import { buildBackendsConfigFromEnv } from "./factory";

describe("buildBackendsConfigFromEnv", () => {
  it.each([
    [{}, {}],
    [{ DEPOT_TOKEN: "  " }, {}],
    [
      {
        DEPOT_TOKEN: "t",
        DEPOT_PROJECT_ID: "p",
        DEPOT_REGION: "eu-central-1",
        DEPOT_API_URL: "http://127.0.0.1:1",
        DEPOT_REGISTRY: "r.example",
        DEPOT_PLATFORM: "linux/arm64",
      },
      {
        depotToken: "t",
        depotProjectId: "p",
        depotRegion: "eu-central-1",
        depotApiUrl: "http://127.0.0.1:1",
        depotRegistry: "r.example",
        depotPlatform: "linux/arm64",
      },
    ],
  ])("%j", (env, expected) => {
    expect(buildBackendsConfigFromEnv(env)).toEqual(expected);
  });
});

describe("buildSourceFromProto", () => {
  const git = {
    installationId: 7n,
    repository: "acme/api",
    commitSha: "a".repeat(40),
    contextPath: "app",
    dockerfilePath: "Dockerfile",
    branch: "main",
  };
  it.each([
    [{ case: "git" as const, value: git }, { git }],
    [{ case: "dockerImage" as const, value: { image: "nginx:1" } }, { dockerImage: { image: "nginx:1" } }],
    [{ case: undefined }, undefined],
  ])("%j", (source, expected) => {
    expect(buildSourceFromProto(source)).toEqual(expected);
  });
});

describe("buildSourceFromRecord", () => {
  const git = {
    repository: "acme/api",
    commitSha: "a".repeat(40),
    contextPath: "",
    dockerfilePath: "",
    branch: "main",
  };
  it.each([
    ["git, id as text", { git: { ...git, installationId: "123" } }, { git: { ...git, installationId: 123n } }],
    ["git, empty id", { git: { ...git, installationId: "" } }, { git: { ...git, installationId: 0n } }],
    ["git, bad id", { git: { ...git, installationId: "12x" } }, undefined],
    ["image", { dockerImage: { image: "nginx" } }, { dockerImage: { image: "nginx" } }],
    ["both", { git: { ...git, installationId: 1 }, dockerImage: { image: "nginx" } }, undefined],
    ["neither", {}, undefined],
  ])("%s", (_name, record, expected) => {
    expect(buildSourceFromRecord(record)).toEqual(expected);
  });
});
