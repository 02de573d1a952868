import { setTimeout as sleepUntilAborted } from "node:timers/promises";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { depot as DepotSdk } from "@depot/sdk-node";
import {
  assertMayContinue,
  BuildError,
  type BuildBackend,
  type BuildOptions,
  type BuildRequest,
  type BuildResult,
  type GitSource,
} from "./backend";
import { gitBuildContext, InvalidGitSourceError, type GitBuildContext } from "./git-source";
import { isValidTag } from "./reference";

type DepotClient = typeof DepotSdk;

export interface DepotBackendConfig {
  /** Depot organization token (`DEPOT_TOKEN`). Without it every git build fails `failed_precondition`. */
  token?: string;
  /**
   * One Depot project for every build (`DEPOT_PROJECT_ID`). Unset: one Depot project per
   * workspace, named `hydra-<workspace id>`, found or created on its first build, so that
   * workspaces never share a build cache (Depot's advice for building others' code).
   */
  projectId?: string;
  /** Region of the Depot projects created per workspace (`DEPOT_REGION`). */
  region?: string;
  /** Depot API base URL (`DEPOT_API_URL`); the SDK's default is https://api.depot.dev. */
  apiUrl?: string;
  /** Registry host of Depot's registry (`DEPOT_REGISTRY`). */
  registry?: string;
  /** The `depot` executable; default: the binary @depot/cli resolves (it honours `DEPOT_BINARY_PATH`). */
  cliPath?: string;
  /** `--platform` of the image. */
  platform?: string;
  /** Deadline of one Depot API call, within the build's own deadline. */
  callTimeoutMs?: number;
  /** How often a build that another attempt started is polled. */
  pollIntervalMs?: number;
  /**
   * How long a retry waits for a build an earlier attempt started before it gives that build up
   * (its CLI may have died with the process that ran it), marks it failed and builds anew.
   */
  abandonAfterMs?: number;
  /** Time `depot build` gets after SIGTERM before SIGKILL. */
  killGraceMs?: number;
  /**
   * A token that can read the repository (e.g. a GitHub App installation token for
   * `source.installationId`); passed to BuildKit as the GIT_AUTH_TOKEN secret, never on argv.
   */
  gitAuthToken?(source: GitSource, signal: AbortSignal): Promise<string | undefined>;
}

const DEFAULTS = {
  apiUrl: "https://api.depot.dev",
  registry: "registry.depot.dev",
  region: "us-east-1",
  platform: "linux/amd64",
  callTimeoutMs: 30_000,
  pollIntervalMs: 2_000,
  abandonAfterMs: 15 * 60_000,
  killGraceMs: 5_000,
};

/** The configuration a git build needs, named as the operator sets it. */
export const DEPOT_SETTINGS_HINT =
  "set DEPOT_TOKEN to a Depot organization token (optional: DEPOT_PROJECT_ID to build every workspace in one Depot project instead of one project per workspace; DEPOT_REGION for those projects, default us-east-1)";

// gRPC status codes; the SDK's @connectrpc/connect v1 and our v2 share them.
const GRPC = {
  canceled: 1,
  unknown: 2,
  invalidArgument: 3,
  deadlineExceeded: 4,
  notFound: 5,
  permissionDenied: 7,
  resourceExhausted: 8,
  failedPrecondition: 9,
  aborted: 10,
  internal: 13,
  unavailable: 14,
  unauthenticated: 16,
} as const;

/** depot.core.v1.Build.Status */
const BUILD_STATUS = { running: 1, failed: 2, success: 3, error: 4, canceled: 5 } as const;

interface BuildContext extends Pick<BuildOptions, "onLog" | "onBuildStarted"> {
  deploymentId: string;
  /** Aborts on the caller's signal or at the deadline. */
  signal: AbortSignal;
  callerSignal: AbortSignal;
  deadline: Date;
}

/**
 * A git source built by Depot: the SDK creates the build (and so the build id and a one-time
 * build token), `depot build` from @depot/cli runs it against the remote git context and saves
 * the image in the Depot project's registry under `<project id>-<deployment id>`, and the
 * image is returned pinned to its digest: `<registry>/<depot project>:<tag>@sha256:…`.
 *
 * Idempotent per deployment: the tag names the deployment, so a retry first looks the tag up
 * in the registry (a finished build is reused), then waits for `previousBuildId` if that build
 * still runs, and only then starts a build. Concurrent calls for one deployment in this process
 * share one build.
 */
export class DepotBackend implements BuildBackend {
  readonly kind = "depot" as const;
  private readonly inFlight = new Map<string, Promise<BuildResult>>();
  /** Workspace id → its Depot project id, once found (project ids never change). */
  private readonly workspaceProjects = new Map<string, string>();

  constructor(private readonly config: DepotBackendConfig) {}

  async build(request: BuildRequest, options: BuildOptions): Promise<BuildResult> {
    const started = Date.now();
    if (!("git" in request.source)) {
      throw new BuildError(
        "internal",
        `deployment ${request.deploymentId}: the depot backend was given an image source`,
      );
    }
    const { token } = this.config;
    if (!token) {
      throw new BuildError(
        "failed_precondition",
        `deployment ${request.deploymentId}: building from git needs Depot, which is not configured: ${DEPOT_SETTINGS_HINT}`,
      );
    }
    let git: GitBuildContext;
    try {
      git = gitBuildContext(request.source.git);
    } catch (error) {
      if (error instanceof InvalidGitSourceError) {
        throw new BuildError("invalid_argument", `deployment ${request.deploymentId}: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
    const tag = imageTag(request);
    assertMayContinue(options, `deployment ${request.deploymentId}`);

    const shared = this.inFlight.get(request.deploymentId);
    if (shared) return raceWith(shared, options, request.deploymentId);

    const remainingMs = options.deadline.getTime() - Date.now();
    const signal = AbortSignal.any([options.signal, AbortSignal.timeout(Math.max(0, remainingMs))]);
    const context: BuildContext = {
      deploymentId: request.deploymentId,
      signal,
      callerSignal: options.signal,
      deadline: options.deadline,
      onLog: options.onLog,
      onBuildStarted: options.onBuildStarted,
    };
    const run = this.run(request, request.source.git, git, tag, token, context, started);
    this.inFlight.set(request.deploymentId, run);
    try {
      return await run;
    } finally {
      this.inFlight.delete(request.deploymentId);
    }
  }

  private async run(
    request: BuildRequest,
    source: GitSource,
    git: GitBuildContext,
    tag: string,
    token: string,
    context: BuildContext,
    started: number,
  ): Promise<BuildResult> {
    const client = depotClient(this.config.apiUrl);
    const api = new DepotApi(client, token, this.config.callTimeoutMs ?? DEFAULTS.callTimeoutMs, context);
    const projectId = await this.depotProject(api, request.workspaceId, context);
    const registry = this.config.registry ?? DEFAULTS.registry;
    const result = (digest: string | undefined, buildId: string | undefined): BuildResult => ({
      image: `${registry}/${projectId}:${tag}${digest ? `@${digest}` : ""}`,
      backend: "depot",
      ...(buildId === undefined ? {} : { buildId }),
      durationMs: Date.now() - started,
    });

    // 1. Done before (a retry after the build finished, or a build another process ran)?
    const existing = await api.findImage(projectId, tag);
    if (existing) {
      context.onLog?.(`image ${registry}/${projectId}:${tag} already built (${existing.digest}); reusing it`);
      return result(existing.digest || undefined, request.previousBuildId);
    }

    // 2. Still running from an earlier attempt? Wait for it rather than start a second build.
    if (request.previousBuildId) {
      const status = await api.buildStatus(request.previousBuildId);
      if (status === BUILD_STATUS.running) {
        context.onLog?.(`Depot build ${request.previousBuildId} of this deployment is still running; waiting for it`);
        const final = await api.waitForBuild(
          request.previousBuildId,
          this.config.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
          Date.now() + (this.config.abandonAfterMs ?? DEFAULTS.abandonAfterMs),
        );
        const image = await api.findImage(projectId, tag);
        if (image) return result(image.digest || undefined, request.previousBuildId);
        if (final === BUILD_STATUS.running) {
          await api.finishBuildQuietly(
            request.previousBuildId,
            "abandoned by hydra: no progress from the attempt that started it",
          );
          context.onLog?.(
            `Depot build ${request.previousBuildId} still running after ${this.config.abandonAfterMs ?? DEFAULTS.abandonAfterMs} ms; abandoned it, starting a new build`,
          );
        } else {
          context.onLog?.(
            `Depot build ${request.previousBuildId} ended with status ${statusName(final)} and no image; starting a new build`,
          );
        }
      }
    }

    // 3. A new build.
    const created = await api.createBuild(projectId);
    const buildId = created.buildId;
    context.onLog?.(`Depot build ${buildId} created in project ${projectId}`);
    let digest: string | undefined;
    try {
      if (context.onBuildStarted) await context.onBuildStarted(buildId);
      assertNotStopped(context, `deployment ${request.deploymentId}`);
      const secret = this.config.gitAuthToken ? await this.config.gitAuthToken(source, context.signal) : undefined;
      digest = await this.runCli({
        request,
        git,
        tag,
        projectId,
        buildId,
        buildToken: created.buildToken,
        gitAuthToken: secret,
        context,
      });
    } catch (error) {
      // Whatever stopped it (cancel, deadline, a CLI that never reached Depot), mark the build
      // ended, so a retry that finds it in the journal does not wait for it. For a build the CLI
      // already reported this is redundant; its answer is ignored either way.
      await api.finishBuildQuietly(buildId, error instanceof Error ? error.message : String(error));
      throw error;
    }
    digest ??= (await api.findImage(projectId, tag))?.digest || undefined;
    return result(digest, buildId);
  }

  /** The configured Depot project, or the workspace's own, found or created. */
  private async depotProject(api: DepotApi, workspaceId: string, context: BuildContext): Promise<string> {
    if (this.config.projectId) return this.config.projectId;
    const known = this.workspaceProjects.get(workspaceId);
    if (known) return known;
    const name = `hydra-${workspaceId}`;
    let projectId = await api.findProject(name);
    if (!projectId) {
      await api.createProject(name, this.config.region ?? DEFAULTS.region);
      // Two processes may create it at once; both then settle on the oldest of that name.
      projectId = await api.findProject(name);
      if (!projectId)
        throw new BuildError(
          "unavailable",
          `deployment ${context.deploymentId}: Depot project ${name} was created but is not listed yet`,
        );
      context.onLog?.(`created Depot project ${name} (${projectId}) for workspace ${workspaceId}`);
    }
    this.workspaceProjects.set(workspaceId, projectId);
    return projectId;
  }

  /** Runs `depot build`; resolves to the image digest from its metadata file, if it wrote one. */
  private async runCli(run: {
    request: BuildRequest;
    git: GitBuildContext;
    tag: string;
    projectId: string;
    buildId: string;
    buildToken: string;
    gitAuthToken: string | undefined;
    context: BuildContext;
  }): Promise<string | undefined> {
    const { request, git, tag, projectId, buildId, context } = run;
    const directory = await mkdtemp(join(tmpdir(), "hydra-depot-"));
    const metadataFile = join(directory, "metadata.json");
    const args = [
      "build",
      "--project",
      projectId,
      "--save",
      "--save-tag",
      tag,
      "--platform",
      this.config.platform ?? DEFAULTS.platform,
      "--progress",
      "plain",
      "--metadata-file",
      metadataFile,
      "--file",
      git.dockerfilePath,
      "--label",
      `dev.hydra.deployment-id=${request.deploymentId}`,
      "--label",
      `dev.hydra.project-id=${request.projectId}`,
      "--label",
      `org.opencontainers.image.revision=${git.commitSha}`,
      "--label",
      `org.opencontainers.image.source=https://github.com/${git.repository}`,
      ...(run.gitAuthToken ? ["--secret", "id=GIT_AUTH_TOKEN,env=GIT_AUTH_TOKEN"] : []),
      git.contextUrl,
    ];
    const env: NodeJS.ProcessEnv = {
      ...passThroughEnv(),
      DEPOT_PROJECT_ID: projectId,
      DEPOT_BUILD_ID: buildId,
      // The one-time build token from CreateBuild, not the organization token.
      DEPOT_TOKEN: run.buildToken,
      ...(run.gitAuthToken ? { GIT_AUTH_TOKEN: run.gitAuthToken } : {}),
    };
    const cli = this.config.cliPath ?? bundledCliPath();
    const tail: string[] = [];
    try {
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
        const child = spawn(cli, args, { env, stdio: ["ignore", "pipe", "pipe"] });
        const onLine = (line: string) => {
          tail.push(line);
          if (tail.length > 20) tail.shift();
          context.onLog?.(line);
        };
        createInterface({ input: child.stdout }).on("line", onLine);
        createInterface({ input: child.stderr }).on("line", onLine);
        let killTimer: NodeJS.Timeout | undefined;
        const stop = () => {
          child.kill("SIGTERM");
          killTimer = setTimeout(() => child.kill("SIGKILL"), this.config.killGraceMs ?? DEFAULTS.killGraceMs);
          killTimer.unref();
        };
        context.signal.addEventListener("abort", stop, { once: true });
        child.once("error", (error) => {
          context.signal.removeEventListener("abort", stop);
          reject(error);
        });
        child.once("close", (code, signal) => {
          context.signal.removeEventListener("abort", stop);
          if (killTimer) clearTimeout(killTimer);
          resolve({ code, signal });
        });
      }).catch((error: NodeJS.ErrnoException) => {
        throw new BuildError(
          "failed_precondition",
          `deployment ${request.deploymentId}: cannot run the Depot CLI at ${cli}: ${error.message} (install @depot/cli with its platform package, or set DEPOT_BINARY_PATH)`,
          { cause: error, buildId },
        );
      });
      assertNotStopped(context, `deployment ${request.deploymentId}: Depot build ${buildId}`);
      if (exit.code !== 0) {
        const how = exit.code === null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
        const output = tail.slice(-5).join("\n");
        // A build that fails (Dockerfile, missing files) fails the same way again; only a lost
        // connection to Depot or a killed CLI is worth a retry.
        const transient = exit.code === null || TRANSIENT_OUTPUT.test(output);
        throw new BuildError(
          transient ? "unavailable" : "failed_precondition",
          `deployment ${request.deploymentId}: Depot build ${buildId} failed: depot build ${how}${output ? `:\n${output}` : ""}`,
          { transient, buildId },
        );
      }
      return await readDigest(metadataFile);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }
}

const TRANSIENT_OUTPUT =
  /\b(unavailable|connection (refused|reset)|i\/o timeout|timed out|no route to host|EOF|503|502|504|too many requests|rate limit)\b/i;

/** Cancellation wins over the deadline: a cancelled deployment reports CANCELLED, not a timeout. */
function assertNotStopped(context: BuildContext, what: string): void {
  if (context.callerSignal.aborted) {
    throw new BuildError("canceled", `${what}: build canceled`, { cause: context.callerSignal.reason });
  }
  if (context.signal.aborted || Date.now() >= context.deadline.getTime()) {
    throw new BuildError("deadline_exceeded", `${what}: build deadline ${context.deadline.toISOString()} passed`);
  }
}

/** `<project id>-<deployment id>`: stable across retries, so it identifies the deployment's build. */
export function imageTag(request: Pick<BuildRequest, "projectId" | "deploymentId">): string {
  const tag = `${request.projectId}-${request.deploymentId}`;
  if (!isValidTag(tag)) {
    throw new BuildError(
      "invalid_argument",
      `deployment ${request.deploymentId}: "${tag}" is not a valid image tag (project and deployment ids must be [A-Za-z0-9_.-], 128 characters in all)`,
    );
  }
  return tag;
}

class DepotApi {
  constructor(
    private readonly client: DepotClient,
    private readonly token: string,
    private readonly callTimeoutMs: number,
    private readonly context: BuildContext,
  ) {}

  async findImage(projectId: string, tag: string): Promise<{ tag: string; digest: string } | undefined> {
    let pageToken: string | undefined;
    for (let page = 0; page < 100; page++) {
      const response = await this.call("RegistryService.ListImages", (options) =>
        this.client.build.v1.RegistryService.listImages(
          { projectId, pageSize: 100, ...(pageToken ? { pageToken } : {}) },
          options,
        ),
      );
      const image = response.images.find((candidate) => candidate.tag === tag);
      if (image) return { tag: image.tag, digest: image.digest };
      if (!response.nextPageToken) return undefined;
      pageToken = response.nextPageToken;
    }
    return undefined;
  }

  /** The oldest project of that name (then the smallest id), so concurrent creators agree. */
  async findProject(name: string): Promise<string | undefined> {
    const response = await this.call("ProjectService.ListProjects", (options) =>
      this.client.core.v1.ProjectService.listProjects({}, options),
    );
    const matches = response.projects
      .filter((project) => project.name === name)
      .sort((a, b) => {
        const byTime =
          Number((a.createdAt?.seconds ?? 0n) - (b.createdAt?.seconds ?? 0n)) ||
          (a.createdAt?.nanos ?? 0) - (b.createdAt?.nanos ?? 0);
        return byTime || (a.projectId < b.projectId ? -1 : a.projectId > b.projectId ? 1 : 0);
      });
    return matches[0]?.projectId;
  }

  async createProject(name: string, regionId: string): Promise<void> {
    await this.call("ProjectService.CreateProject", (options) =>
      this.client.core.v1.ProjectService.createProject({ name, regionId }, options),
    );
  }

  async createBuild(projectId: string): Promise<{ buildId: string; buildToken: string }> {
    const response = await this.call("BuildService.CreateBuild", (options) =>
      this.client.build.v1.BuildService.createBuild({ projectId }, options),
    );
    if (!response.buildId || !response.buildToken) {
      throw new BuildError(
        "internal",
        `deployment ${this.context.deploymentId}: Depot CreateBuild returned no build id or token`,
      );
    }
    return { buildId: response.buildId, buildToken: response.buildToken };
  }

  async buildStatus(buildId: string): Promise<number | undefined> {
    try {
      const response = await this.call("BuildService.GetBuild", (options) =>
        this.client.core.v1.BuildService.getBuild({ buildId }, options),
      );
      return response.build?.status;
    } catch (error) {
      // A build id Depot does not know (journaled, then the project was reset): start afresh.
      if (error instanceof BuildError && error.cause !== undefined && connectCode(error.cause) === GRPC.notFound)
        return undefined;
      throw error;
    }
  }

  /** Polls until the build is no longer running, or until `giveUpAt` (then: still running). */
  async waitForBuild(buildId: string, pollIntervalMs: number, giveUpAt: number): Promise<number | undefined> {
    for (;;) {
      const status = await this.buildStatus(buildId);
      if (status !== BUILD_STATUS.running || Date.now() >= giveUpAt) return status;
      await sleep(pollIntervalMs, this.context.signal);
      assertNotStopped(this.context, `deployment ${this.context.deploymentId}: waiting for Depot build ${buildId}`);
    }
  }

  /** Best effort, with its own short deadline: the build's own deadline may be what passed. */
  async finishBuildQuietly(buildId: string, reason: string): Promise<void> {
    try {
      await this.client.build.v1.BuildService.finishBuild(
        { buildId, result: { case: "error", value: { error: reason } } },
        { headers: this.headers(), timeoutMs: Math.min(this.callTimeoutMs, 5_000) },
      );
    } catch {
      // Depot times out builds it hears nothing from; nothing else to do here.
    }
  }

  private headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.token}` };
  }

  private async call<T>(
    what: string,
    invoke: (options: { headers: Record<string, string>; signal: AbortSignal; timeoutMs: number }) => Promise<T>,
  ): Promise<T> {
    const where = `deployment ${this.context.deploymentId}: Depot ${what}`;
    assertNotStopped(this.context, where);
    const timeoutMs = Math.max(1, Math.min(this.callTimeoutMs, this.context.deadline.getTime() - Date.now()));
    try {
      return await invoke({ headers: this.headers(), signal: this.context.signal, timeoutMs });
    } catch (error) {
      assertNotStopped(this.context, where);
      throw depotApiError(where, error);
    }
  }
}

/** A Depot API failure as a BuildError: retry what can pass, fail what needs an operator. */
export function depotApiError(where: string, error: unknown): BuildError {
  const code = connectCode(error);
  const message = error instanceof Error ? error.message : String(error);
  switch (code) {
    case GRPC.unauthenticated:
    case GRPC.permissionDenied:
      return new BuildError(
        "failed_precondition",
        `${where}: Depot rejected the token (${message}); check DEPOT_TOKEN`,
        { cause: error },
      );
    case GRPC.notFound:
      return new BuildError("failed_precondition", `${where}: not found (${message}); check DEPOT_PROJECT_ID`, {
        cause: error,
      });
    case GRPC.invalidArgument:
    case GRPC.failedPrecondition:
      return new BuildError("failed_precondition", `${where}: ${message}`, { cause: error });
    case GRPC.unavailable:
    case GRPC.resourceExhausted:
    case GRPC.aborted:
    case GRPC.deadlineExceeded:
    case GRPC.internal:
    case GRPC.unknown:
    case GRPC.canceled:
      return new BuildError("unavailable", `${where}: ${message}`, { cause: error, transient: true });
    default:
      return new BuildError("internal", `${where}: ${message}`, { cause: error });
  }
}

function connectCode(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "number")
    return error.code;
  return undefined;
}

function statusName(status: number | undefined): string {
  const entry = Object.entries(BUILD_STATUS).find(([, value]) => value === status);
  return entry ? entry[0] : `unknown (${status ?? "none"})`;
}

async function readDigest(metadataFile: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(metadataFile, "utf8");
  } catch {
    return undefined;
  }
  const metadata: unknown = JSON.parse(text);
  if (typeof metadata === "object" && metadata !== null && "containerimage.digest" in metadata) {
    const digest = metadata["containerimage.digest"];
    if (typeof digest === "string" && /^sha256:[0-9a-f]{64}$/.test(digest)) return digest;
  }
  return undefined;
}

/** What `depot build` needs from our environment, and nothing else (no database URLs, no tokens). */
function passThroughEnv(): NodeJS.ProcessEnv {
  const names = [
    "PATH",
    "HOME",
    "TMPDIR",
    "LANG",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "https_proxy",
    "http_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "DEPOT_API_URL",
  ];
  const env: NodeJS.ProcessEnv = {};
  for (const name of names) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function bundledCliPath(): string {
  // Resolved lazily: a process that never builds from git does not need the platform binary.
  const cli: typeof import("@depot/cli") = require("@depot/cli");
  return cli.depotBinaryPath();
}

let loadedSdk: { apiUrl: string; client: DepotClient } | undefined;

/**
 * @depot/sdk-node builds its one transport when it is first loaded, from DEPOT_API_URL. So the
 * URL is set for that load only, and a second, different URL in one process is refused.
 */
function depotClient(apiUrl: string | undefined): DepotClient {
  const wanted = apiUrl ?? process.env.DEPOT_API_URL ?? DEFAULTS.apiUrl;
  if (loadedSdk) {
    if (loadedSdk.apiUrl !== wanted) {
      throw new BuildError(
        "internal",
        `@depot/sdk-node is already bound to ${loadedSdk.apiUrl} in this process; cannot also use ${wanted}`,
      );
    }
    return loadedSdk.client;
  }
  const previous = process.env.DEPOT_API_URL;
  process.env.DEPOT_API_URL = wanted;
  try {
    const sdk: typeof import("@depot/sdk-node") = require("@depot/sdk-node");
    loadedSdk = { apiUrl: wanted, client: sdk.depot };
    return sdk.depot;
  } finally {
    if (previous === undefined) delete process.env.DEPOT_API_URL;
    else process.env.DEPOT_API_URL = previous;
  }
}

/** Waits `ms`, or less if `signal` aborts first (never rejects: an abort just ends the wait early). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return sleepUntilAborted(ms, undefined, { signal }).catch(() => undefined);
}

/** Joins a build already running for this deployment, within this caller's own signal and deadline. */
function raceWith(shared: Promise<BuildResult>, options: BuildOptions, deploymentId: string): Promise<BuildResult> {
  return new Promise((resolve, reject) => {
    const check = () => {
      try {
        assertMayContinue(options, `deployment ${deploymentId}`);
      } catch (error) {
        cleanup();
        reject(error);
      }
    };
    const timer = setTimeout(check, Math.max(0, options.deadline.getTime() - Date.now()));
    const cleanup = () => {
      clearTimeout(timer);
      options.signal.removeEventListener("abort", check);
    };
    options.signal.addEventListener("abort", check, { once: true });
    shared.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}
