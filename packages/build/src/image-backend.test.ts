import type { BuildError, BuildRequest } from "./backend";
import { createBuildBackends } from "./factory";

const request = (source: BuildRequest["source"]): BuildRequest => ({
  deploymentId: "dep_1",
  projectId: "prj_1",
  workspaceId: "ws_1",
  projectSlug: "api",
  workspaceSlug: "acme",
  source,
});
const SHA = "0123456789abcdef0123456789abcdef01234567";
const gitSource = {
  installationId: 1n,
  repository: "acme/api",
  commitSha: SHA,
  contextPath: "",
  dockerfilePath: "",
  branch: "main",
};
const options = () => ({ signal: new AbortController().signal, deadline: new Date(Date.now() + 60_000) });

describe("image backend", () => {
  const backends = createBuildBackends({});

  it.each(["nginx:1.25", "ghcr.io/acme/api@sha256:" + "b".repeat(64), "localhost:5000/app"])(
    "returns %s as is",
    async (image) => {
      const result = await backends.build(request({ dockerImage: { image } }), options());
      expect(result).toEqual({ image, backend: "image", durationMs: expect.any(Number) });
    },
  );

  it.each(["", "NGINX", "nginx:", "https://ghcr.io/a/b"])(
    "rejects %j with invalid_argument, not retryable",
    async (image) => {
      const failure: BuildError = await backends.build(request({ dockerImage: { image } }), options()).then(
        () => {
          throw new Error("expected a BuildError");
        },
        (error: BuildError) => error,
      );
      expect(failure).toMatchObject({ name: "BuildError", code: "invalid_argument", transient: false });
      expect(failure.message).toContain("docker_image.image");
    },
  );

  it("fails canceled when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      backends.build(request({ dockerImage: { image: "nginx" } }), {
        signal: controller.signal,
        deadline: new Date(Date.now() + 1000),
      }),
    ).rejects.toMatchObject({ code: "canceled" });
  });
});

describe("createBuildBackends", () => {
  it("picks the backend by source", () => {
    const backends = createBuildBackends({});
    expect(backends.forRequest(request({ dockerImage: { image: "nginx" } })).kind).toBe("image");
    expect(backends.forRequest(request({ git: gitSource })).kind).toBe("depot");
  });

  it("fails a git build without DEPOT_TOKEN at once with failed_precondition naming what to set", async () => {
    const backends = createBuildBackends({ depotProjectId: "proj123" });
    const failure = backends.build(request({ git: gitSource }), options());
    await expect(failure).rejects.toMatchObject({ name: "BuildError", code: "failed_precondition", transient: false });
    await expect(failure).rejects.toThrow(/set DEPOT_TOKEN to a Depot organization token .*DEPOT_PROJECT_ID/);
  });

  it("rejects a bad git source with invalid_argument before calling Depot", async () => {
    const backends = createBuildBackends({ depotToken: "t", depotProjectId: "p", depotApiUrl: "http://127.0.0.1:9" });
    await expect(
      backends.build(request({ git: { ...gitSource, commitSha: "main" } }), options()),
    ).rejects.toMatchObject({ code: "invalid_argument", message: expect.stringContaining("git.commit_sha") });
  });
});
