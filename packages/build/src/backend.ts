/**
 * The build step's contract (SPEC §3 step 2): turn a deployment's source into an image
 * reference. One interface, one implementation per source kind: an image is used as is, a git
 * source is built by Depot.
 */

/** A git checkout to build, as in hydra.v1.GitSource. */
export interface GitSource {
  /** GitHub App installation that can read the repository (0 or unset: a public repository). */
  installationId: bigint;
  /** `owner/name` on GitHub, or `https://github.com/owner/name(.git)`. */
  repository: string;
  /** The full 40-character commit SHA that is built (a branch moves, a SHA does not). */
  commitSha: string;
  /** Directory of the build context inside the repository; "" or "." is the root. */
  contextPath: string;
  /** Dockerfile path relative to the context; "" means `Dockerfile`. */
  dockerfilePath: string;
  /** Branch the commit was pushed to; informational (labels, logs). */
  branch: string;
}

export type BuildSource = { git: GitSource } | { dockerImage: { image: string } };

export interface BuildRequest {
  deploymentId: string;
  projectId: string;
  workspaceId: string;
  projectSlug: string;
  workspaceSlug: string;
  source: BuildSource;
  /**
   * The build id an earlier attempt of this same deployment's build reported through
   * `onBuildStarted` (the workflow journals it). A retry then waits for that build instead of
   * starting another one while it runs, and reuses its image when it succeeded.
   */
  previousBuildId?: string;
}

export interface BuildOptions {
  /** Cancels the build (the deployment was cancelled or superseded, or the server stops). */
  signal: AbortSignal;
  /** No call and no build outlives this; past it the build fails with `deadline_exceeded`. */
  deadline: Date;
  /** Build output, one line at a time, without the newline. */
  onLog?(line: string): void;
  /**
   * Called once a remote build exists, before it runs, so the caller can record the id
   * durably and pass it back as `previousBuildId` on a retry. A rejection aborts the build.
   */
  onBuildStarted?(buildId: string): void | Promise<void>;
}

export type BuildBackendKind = "image" | "depot";

export interface BuildResult {
  /** A full image reference; pinned with `@sha256:…` when the backend knows the digest. */
  image: string;
  backend: BuildBackendKind;
  /** The remote build that produced the image, when there was one. */
  buildId?: string;
  durationMs: number;
}

export interface BuildBackend {
  readonly kind: BuildBackendKind;
  build(request: BuildRequest, options: BuildOptions): Promise<BuildResult>;
}

/** Connect code names, so the API can map a build failure without a table of its own. */
export type BuildErrorCode =
  "failed_precondition" | "invalid_argument" | "unavailable" | "deadline_exceeded" | "canceled" | "internal";

/**
 * Why a build failed. `transient` tells the workflow whether retrying the step can help (an
 * API that was down) or not (missing configuration, a bad source, a Dockerfile that fails).
 */
export class BuildError extends Error {
  override readonly name = "BuildError";
  readonly code: BuildErrorCode;
  readonly transient: boolean;
  readonly buildId: string | undefined;

  constructor(
    code: BuildErrorCode,
    message: string,
    options: { transient?: boolean; cause?: unknown; buildId?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.transient = options.transient ?? code === "unavailable";
    this.buildId = options.buildId;
  }

  static is(value: unknown): value is BuildError {
    return value instanceof BuildError;
  }
}

/** Throws `canceled` or `deadline_exceeded` when the build may not go on. */
export function assertMayContinue(options: Pick<BuildOptions, "signal" | "deadline">, what: string): void {
  if (options.signal.aborted) {
    throw new BuildError("canceled", `${what}: build canceled`, { cause: options.signal.reason });
  }
  if (Date.now() >= options.deadline.getTime()) {
    throw new BuildError("deadline_exceeded", `${what}: build deadline ${options.deadline.toISOString()} passed`);
  }
}

/** The proto oneof (`DeployRequest.source`) to a `BuildSource`; undefined when none is set. */
export function buildSourceFromProto(
  source:
    | { case: "git"; value: GitSource }
    | { case: "dockerImage"; value: { image: string } }
    | { case: undefined; value?: undefined },
): BuildSource | undefined {
  switch (source.case) {
    case "git":
      return {
        git: {
          installationId: source.value.installationId,
          repository: source.value.repository,
          commitSha: source.value.commitSha,
          contextPath: source.value.contextPath,
          dockerfilePath: source.value.dockerfilePath,
          branch: source.value.branch,
        },
      };
    case "dockerImage":
      return { dockerImage: { image: source.value.image } };
    default:
      return undefined;
  }
}

/**
 * A stored source (`{ git?, dockerImage? }`, installation id as text, as in a JSON column) to a
 * `BuildSource`; undefined unless exactly one of the two is set.
 */
export function buildSourceFromRecord(source: {
  git?: (Omit<GitSource, "installationId"> & { installationId: bigint | number | string }) | null | undefined;
  dockerImage?: { image: string } | null | undefined;
}): BuildSource | undefined {
  if (source.git && !source.dockerImage) {
    const { installationId, ...rest } = source.git;
    const parsed = /^\d*$/.test(String(installationId)) ? BigInt(String(installationId) || "0") : undefined;
    return parsed === undefined ? undefined : { git: { ...rest, installationId: parsed } };
  }
  if (source.dockerImage && !source.git) return { dockerImage: { image: source.dockerImage.image } };
  return undefined;
}
