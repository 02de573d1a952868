import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import {
  BuildError,
  createBuildBackends,
  type BuildBackends,
  type BuildOptions,
  type BuildRequest,
} from "../../packages/build/src";
import { DepotStandIn } from "./stand-in";

// The Depot backend against a local stand-in of the Depot API (over real HTTP/2, through
// @depot/sdk-node) and a fake `depot` CLI run as a real child process.

const ORG_TOKEN = "org-token-for-tests";
const DEPOT_PROJECT = "proj4depot";
const SHA = "0123456789abcdef0123456789abcdef01234567";

let standIn: DepotStandIn;
let cliDirectory: string;
let backends: BuildBackends;
let deploymentCounter = 0;

interface CliCall {
  argv: string[];
  env: Record<string, string>;
  mode: string;
}

beforeAll(async () => {
  standIn = await DepotStandIn.start({ organizationToken: ORG_TOKEN, projects: [DEPOT_PROJECT] });
  cliDirectory = await mkdtemp(join(tmpdir(), "fake-depot-"));
  await copyFile(join(__dirname, "fake-depot.js"), join(cliDirectory, "depot"));
  await chmod(join(cliDirectory, "depot"), 0o755);
  await setModes({});
  backends = createBuildBackends({
    depotToken: ORG_TOKEN,
    depotProjectId: DEPOT_PROJECT,
    depotApiUrl: standIn.url,
    depotCliPath: join(cliDirectory, "depot"),
    depotPollIntervalMs: 20,
    depotKillGraceMs: 2_000,
  });
});

afterAll(async () => {
  await standIn.close();
  await rm(cliDirectory, { recursive: true, force: true });
});

beforeEach(() => {
  standIn.calls.length = 0;
});

async function setModes(modes: Record<string, "success" | "fail" | "unavailable" | "hang">): Promise<void> {
  await writeFile(join(cliDirectory, "behavior.json"), JSON.stringify({ standInUrl: standIn.url, modes }));
}

async function cliCalls(): Promise<CliCall[]> {
  const text = await readFile(join(cliDirectory, "calls.jsonl"), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as CliCall);
}

async function cliCallsFor(tag: string): Promise<CliCall[]> {
  return (await cliCalls()).filter((call) => call.argv?.includes(tag));
}

function newRequest(overrides: Partial<BuildRequest> = {}): BuildRequest & { tag: string } {
  const deploymentId = `dep_${String(++deploymentCounter).padStart(4, "0")}`;
  const request: BuildRequest = {
    deploymentId,
    projectId: "prj_api",
    workspaceId: "ws_acme",
    projectSlug: "api",
    workspaceSlug: "acme",
    source: {
      git: {
        installationId: 42n,
        repository: "acme/api",
        commitSha: SHA,
        contextPath: "services/api",
        dockerfilePath: "docker/Dockerfile",
        branch: "main",
      },
    },
    ...overrides,
  };
  return { ...request, tag: `prj_api-${request.deploymentId}` };
}

function options(overrides: Partial<BuildOptions> = {}): BuildOptions & { logs: string[]; started: string[] } {
  const logs: string[] = [];
  const started: string[] = [];
  return {
    signal: new AbortController().signal,
    deadline: new Date(Date.now() + 30_000),
    onLog: (line) => logs.push(line),
    onBuildStarted: (buildId) => void started.push(buildId),
    logs,
    started,
    ...overrides,
  };
}

async function buildError(promise: Promise<unknown>): Promise<BuildError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BuildError) return error;
    throw error;
  }
  throw new Error("expected the build to fail");
}

describe("Depot backend", () => {
  it("creates a Depot build, runs depot build on the git context and returns the digest-pinned image", async () => {
    const request = newRequest();
    const opts = options();
    const result = await backends.build(request, opts);

    const [created] = standIn.callsOf("CreateBuild");
    expect(standIn.callsOf("CreateBuild")).toHaveLength(1);
    expect(created).toEqual({
      method: "CreateBuild",
      authorization: `Bearer ${ORG_TOKEN}`,
      request: { projectId: DEPOT_PROJECT },
    });
    const build = [...standIn.builds.values()].find((candidate) => candidate.buildId === result.buildId);
    expect(build).toBeDefined();
    expect(result).toEqual({
      image: `registry.depot.dev/${DEPOT_PROJECT}:${request.tag}@${DepotStandIn.digestFor(build!.buildId)}`,
      backend: "depot",
      buildId: build!.buildId,
      durationMs: expect.any(Number),
    });
    expect(opts.started).toEqual([build!.buildId]);
    expect(opts.logs).toEqual(
      expect.arrayContaining([`#1 [internal] load git source https://github.com/acme/api.git#${SHA}:services/api`]),
    );

    const [cli] = await cliCallsFor(request.tag);
    expect(cli?.argv).toEqual([
      "build",
      "--project",
      DEPOT_PROJECT,
      "--save",
      "--save-tag",
      request.tag,
      "--platform",
      "linux/amd64",
      "--progress",
      "plain",
      "--metadata-file",
      expect.stringMatching(/metadata\.json$/),
      "--file",
      "docker/Dockerfile",
      "--label",
      `dev.hydra.deployment-id=${request.deploymentId}`,
      "--label",
      "dev.hydra.project-id=prj_api",
      "--label",
      `org.opencontainers.image.revision=${SHA}`,
      "--label",
      "org.opencontainers.image.source=https://github.com/acme/api",
      `https://github.com/acme/api.git#${SHA}:services/api`,
    ]);
    // The CLI attaches to the build the SDK created, with its one-time token, not the org token.
    expect(cli?.env).toMatchObject({
      DEPOT_BUILD_ID: build!.buildId,
      DEPOT_TOKEN: build!.buildToken,
      DEPOT_PROJECT_ID: DEPOT_PROJECT,
    });
    expect(cli?.env.DEPOT_TOKEN).not.toBe(ORG_TOKEN);
    expect(Object.keys(cli?.env ?? {})).not.toContain("DATABASE_URL");
    expect(build!.status).toBe(3 /* SUCCESS */);
  });

  it("passes a git auth token as a BuildKit secret through the environment, never on argv", async () => {
    const withAuth = createBuildBackends({
      depotToken: ORG_TOKEN,
      depotProjectId: DEPOT_PROJECT,
      depotApiUrl: standIn.url,
      depotCliPath: join(cliDirectory, "depot"),
      gitAuthToken: async (source) => `ghs_installation_${source.installationId}`,
    });
    const request = newRequest();
    await withAuth.build(request, options());
    const [cli] = await cliCallsFor(request.tag);
    expect(cli?.argv).toEqual(expect.arrayContaining(["--secret", "id=GIT_AUTH_TOKEN,env=GIT_AUTH_TOKEN"]));
    expect(cli?.argv.join(" ")).not.toContain("ghs_installation_42");
    expect(cli?.env.GIT_AUTH_TOKEN).toBe("ghs_installation_42");
  });

  it("a retry of a finished deployment reuses its image: no second Depot build, no CLI run", async () => {
    const request = newRequest();
    const first = await backends.build(request, options());
    standIn.calls.length = 0;
    const again = await backends.build({ ...request, previousBuildId: first.buildId! }, options());
    expect(again.image).toBe(first.image);
    expect(again.buildId).toBe(first.buildId);
    expect(standIn.callsOf("CreateBuild")).toHaveLength(0);
    expect(standIn.callsOf("ListImages").length).toBeGreaterThan(0);
    expect(await cliCallsFor(request.tag)).toHaveLength(1);
  });

  it("finds an earlier image on a later page of the registry", async () => {
    // Fill the registry so the deployment's tag is not on the first page (pages of two).
    for (let i = 0; i < 3; i++) await backends.build(newRequest(), options());
    const request = newRequest();
    const first = await backends.build(request, options());
    for (let i = 0; i < 3; i++) await backends.build(newRequest(), options());
    standIn.calls.length = 0;
    const again = await backends.build(request, options());
    expect(again.image).toBe(first.image);
    expect(standIn.callsOf("ListImages").length).toBeGreaterThan(1);
    expect(standIn.callsOf("CreateBuild")).toHaveLength(0);
  });

  it("a retry while the earlier attempt's build still runs waits for it instead of starting another", async () => {
    const request = newRequest();
    const running = standIn.createRunningBuild(DEPOT_PROJECT);
    const digest = DepotStandIn.digestFor(running.buildId);
    const retried = backends.build({ ...request, previousBuildId: running.buildId }, options());
    // The earlier attempt's CLI finishes only once the retry is seen waiting on it (polling GetBuild):
    // a fixed pause raced the retry on a loaded machine.
    const deadline = Date.now() + 15_000;
    while (standIn.callsOf("GetBuild").length === 0) {
      if (Date.now() > deadline) throw new Error("the retry never polled the earlier build (GetBuild) within 15 s");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    standIn.finishBuild(running.buildId, { success: true, tag: request.tag, digest });
    const result = await retried;
    expect(result).toMatchObject({
      image: `registry.depot.dev/${DEPOT_PROJECT}:${request.tag}@${digest}`,
      buildId: running.buildId,
    });
    expect(standIn.callsOf("CreateBuild")).toHaveLength(0);
    expect(standIn.callsOf("GetBuild").length).toBeGreaterThan(0);
    expect(standIn.callsOf("GetBuild")[0]?.request).toEqual({ buildId: running.buildId });
    expect(await cliCallsFor(request.tag)).toHaveLength(0);
  });

  it("a retry after the earlier attempt's build failed starts one new build", async () => {
    const request = newRequest();
    const failed = standIn.createRunningBuild(DEPOT_PROJECT);
    standIn.finishBuild(failed.buildId, { success: false, error: "boom" });
    const result = await backends.build({ ...request, previousBuildId: failed.buildId }, options());
    expect(result.buildId).not.toBe(failed.buildId);
    expect(standIn.callsOf("CreateBuild")).toHaveLength(1);
  });

  it("a retry gives up an earlier attempt's build that makes no progress, ends it, and builds anew", async () => {
    const patient = createBuildBackends({
      depotToken: ORG_TOKEN,
      depotProjectId: DEPOT_PROJECT,
      depotApiUrl: standIn.url,
      depotCliPath: join(cliDirectory, "depot"),
      depotPollIntervalMs: 20,
      depotAbandonAfterMs: 200,
    });
    const request = newRequest();
    const orphan = standIn.createRunningBuild(DEPOT_PROJECT);
    const result = await patient.build({ ...request, previousBuildId: orphan.buildId }, options());
    expect(result.buildId).not.toBe(orphan.buildId);
    expect(standIn.builds.get(orphan.buildId)?.status).toBe(4 /* ERROR */);
    expect(standIn.builds.get(orphan.buildId)?.finishedWith?.error).toMatch(/abandoned/);
    expect(standIn.callsOf("CreateBuild")).toHaveLength(1);
  });

  it("concurrent builds of one deployment in one process share one Depot build", async () => {
    const request = newRequest();
    const [a, b] = await Promise.all([backends.build(request, options()), backends.build(request, options())]);
    expect(a).toEqual(b);
    expect(standIn.callsOf("CreateBuild")).toHaveLength(1);
    expect(await cliCallsFor(request.tag)).toHaveLength(1);
  });

  describe("Depot API errors", () => {
    it.each([
      ["CreateBuild", Code.Unavailable],
      ["CreateBuild", Code.ResourceExhausted],
      ["ListImages", Code.Internal],
      ["ListImages", Code.Aborted],
    ] as const)("%s answering %s is transient (unavailable) and the retry builds once", async (method, code) => {
      const request = newRequest();
      standIn.failNext(method, code);
      const failure = await buildError(backends.build(request, options()));
      expect(failure).toMatchObject({ code: "unavailable", transient: true });
      expect(failure.message).toContain(`deployment ${request.deploymentId}: Depot`);
      const result = await backends.build(request, options());
      expect(result.image).toContain(request.tag);
      expect(standIn.callsOf("CreateBuild").filter((call) => call.authorization)).toHaveLength(
        method === "CreateBuild" ? 2 : 1,
      );
    });

    it("a rejected token is terminal failed_precondition naming DEPOT_TOKEN", async () => {
      const wrongToken = createBuildBackends({
        depotToken: "not-the-token",
        depotProjectId: DEPOT_PROJECT,
        depotApiUrl: standIn.url,
        depotCliPath: join(cliDirectory, "depot"),
      });
      const failure = await buildError(wrongToken.build(newRequest(), options()));
      expect(failure).toMatchObject({ code: "failed_precondition", transient: false });
      expect(failure.message).toMatch(/check DEPOT_TOKEN/);
      expect(standIn.callsOf("CreateBuild")).toHaveLength(0);
    });

    it("an unknown Depot project is terminal failed_precondition naming DEPOT_PROJECT_ID", async () => {
      const wrongProject = createBuildBackends({
        depotToken: ORG_TOKEN,
        depotProjectId: "no-such-project",
        depotApiUrl: standIn.url,
        depotCliPath: join(cliDirectory, "depot"),
      });
      const failure = await buildError(wrongProject.build(newRequest(), options()));
      expect(failure).toMatchObject({ code: "failed_precondition", transient: false });
      expect(failure.message).toMatch(/check DEPOT_PROJECT_ID/);
    });

    it("a Depot call that outlives its own call timeout (not the build deadline) is transient", async () => {
      const down = createBuildBackends({
        depotToken: ORG_TOKEN,
        depotProjectId: DEPOT_PROJECT,
        depotApiUrl: standIn.url,
        depotCliPath: join(cliDirectory, "depot"),
        depotCallTimeoutMs: 200,
      });
      standIn.stall("ListImages", 5_000);
      try {
        const failure = await buildError(down.build(newRequest(), options()));
        expect(failure).toMatchObject({ code: "unavailable", transient: true });
      } finally {
        standIn.stall("ListImages", 0);
      }
    });
  });

  describe("the build itself", () => {
    it("a failing Dockerfile is terminal, with the CLI's error and the build id", async () => {
      const request = newRequest();
      await setModes({ [request.tag]: "fail" });
      const failure = await buildError(backends.build(request, options()));
      expect(failure).toMatchObject({ code: "failed_precondition", transient: false, buildId: expect.any(String) });
      expect(failure.message).toContain(
        'ERROR: failed to solve: process "/bin/sh -c npm ci" did not complete successfully',
      );
      expect(standIn.builds.get(failure.buildId!)?.status).toBe(2 /* FAILED */);
    });

    it("a CLI that cannot reach Depot is transient", async () => {
      const request = newRequest();
      await setModes({ [request.tag]: "unavailable" });
      const failure = await buildError(backends.build(request, options()));
      expect(failure).toMatchObject({ code: "unavailable", transient: true });
      // The CLI never attached, so the backend ends the build itself: a retry must not wait for it.
      expect(standIn.builds.get(failure.buildId!)?.status).toBe(4 /* ERROR */);
    });

    it("a missing CLI is failed_precondition saying how to install it", async () => {
      const noCli = createBuildBackends({
        depotToken: ORG_TOKEN,
        depotProjectId: DEPOT_PROJECT,
        depotApiUrl: standIn.url,
        depotCliPath: join(cliDirectory, "no-such-depot"),
      });
      const failure = await buildError(noCli.build(newRequest(), options()));
      expect(failure).toMatchObject({ code: "failed_precondition", transient: false });
      expect(failure.message).toMatch(/cannot run the Depot CLI .* DEPOT_BINARY_PATH/);
    });
  });

  describe("deadline and cancellation", () => {
    it("cancelling while depot build runs stops the CLI, tells Depot, and fails canceled", async () => {
      const request = newRequest();
      await setModes({ [request.tag]: "hang" });
      const controller = new AbortController();
      const opts = options({
        signal: controller.signal,
        onLog: (line) => {
          if (line.includes("RUN sleep infinity")) controller.abort(new Error("deployment cancelled"));
        },
      });
      const failure = await buildError(backends.build(request, opts));
      expect(failure).toMatchObject({ code: "canceled", transient: false });
      const buildId = opts.started[0]!;
      expect((await cliCalls()).filter((call) => "signal" in call)).toEqual(
        expect.arrayContaining([{ signal: "SIGTERM", buildId }]),
      );
      expect(standIn.callsOf("FinishBuild")).toEqual([
        expect.objectContaining({
          authorization: `Bearer ${ORG_TOKEN}`,
          request: { buildId, error: { error: expect.stringContaining("canceled") } },
        }),
      ]);
      expect(standIn.builds.get(buildId)?.status).toBe(4 /* ERROR */);
    });

    it("the deadline passing while depot build runs stops the CLI and fails deadline_exceeded", async () => {
      const request = newRequest();
      await setModes({ [request.tag]: "hang" });
      const opts = options({ deadline: new Date(Date.now() + 1_500) });
      const failure = await buildError(backends.build(request, opts));
      expect(failure).toMatchObject({ code: "deadline_exceeded", transient: false });
      expect(standIn.callsOf("FinishBuild")).toHaveLength(1);
    });

    it("a Depot call that outlives the deadline fails deadline_exceeded", async () => {
      standIn.stall("CreateBuild", 10_000);
      try {
        const failure = await buildError(
          backends.build(newRequest(), options({ deadline: new Date(Date.now() + 300) })),
        );
        expect(failure).toMatchObject({ code: "deadline_exceeded", transient: false });
      } finally {
        standIn.stall("CreateBuild", 0);
      }
    });

    it("waiting for an earlier attempt's build ends at the deadline", async () => {
      const running = standIn.createRunningBuild(DEPOT_PROJECT);
      const failure = await buildError(
        backends.build(
          { ...newRequest(), previousBuildId: running.buildId },
          options({ deadline: new Date(Date.now() + 300) }),
        ),
      );
      expect(failure).toMatchObject({ code: "deadline_exceeded" });
      expect(standIn.callsOf("CreateBuild")).toHaveLength(0);
    });

    it("an already cancelled build calls nothing", async () => {
      const controller = new AbortController();
      controller.abort();
      const failure = await buildError(backends.build(newRequest(), options({ signal: controller.signal })));
      expect(failure.code).toBe("canceled");
      expect(standIn.calls).toHaveLength(0);
    });
  });

  describe("one Depot project per workspace (no DEPOT_PROJECT_ID)", () => {
    const perWorkspace = () =>
      createBuildBackends({
        depotToken: ORG_TOKEN,
        depotApiUrl: standIn.url,
        depotCliPath: join(cliDirectory, "depot"),
        depotRegion: "eu-central-1",
      });

    it("creates hydra-<workspace id> on the workspace's first build and builds there", async () => {
      const backends = perWorkspace();
      const request = newRequest({ workspaceId: "ws_first" });
      const result = await backends.build(request, options());
      expect(standIn.callsOf("CreateProject").map((call) => call.request)).toEqual([
        { name: "hydra-ws_first", regionId: "eu-central-1" },
      ]);
      const project = [...standIn.projects.values()].find((candidate) => candidate.name === "hydra-ws_first");
      expect(result.image).toBe(
        `registry.depot.dev/${project!.projectId}:${request.tag}@${DepotStandIn.digestFor(result.buildId!)}`,
      );
      expect(standIn.callsOf("CreateBuild")[0]?.request).toEqual({ projectId: project!.projectId });
      const [cli] = await cliCallsFor(request.tag);
      expect(cli?.argv.slice(0, 3)).toEqual(["build", "--project", project!.projectId]);

      // The next build of that workspace, in this process or a restarted one, reuses it.
      standIn.calls.length = 0;
      await backends.build(newRequest({ workspaceId: "ws_first" }), options());
      await perWorkspace().build(newRequest({ workspaceId: "ws_first" }), options());
      expect(standIn.callsOf("CreateProject")).toHaveLength(0);
      expect(standIn.callsOf("ListProjects")).toHaveLength(1);
    });

    it("keeps workspaces apart", async () => {
      const backends = perWorkspace();
      const a = await backends.build(newRequest({ workspaceId: "ws_a" }), options());
      const b = await backends.build(newRequest({ workspaceId: "ws_b" }), options());
      expect(a.image.split(":")[0]).not.toBe(b.image.split(":")[0]);
    });

    it("two processes creating the same workspace's project at once settle on one", async () => {
      const [a, b] = await Promise.all([
        perWorkspace().build(newRequest({ workspaceId: "ws_race" }), options()),
        perWorkspace().build(newRequest({ workspaceId: "ws_race" }), options()),
      ]);
      expect(a.image.split(":")[0]).toBe(b.image.split(":")[0]);
    });
  });

  it("without DEPOT_TOKEN a git build fails at once with failed_precondition and calls nothing", async () => {
    const unconfigured = createBuildBackends({ depotApiUrl: standIn.url });
    const failure = await buildError(unconfigured.build(newRequest(), options()));
    expect(failure).toMatchObject({ code: "failed_precondition", transient: false });
    expect(failure.message).toMatch(/set DEPOT_TOKEN to a Depot organization token .*DEPOT_PROJECT_ID/);
    expect(standIn.calls).toHaveLength(0);
  });
});
