import type { GitSource } from "./backend";

/** A git source checked and put in the form `depot build` takes. */
export interface GitBuildContext {
  /** `owner/name`. */
  repository: string;
  commitSha: string;
  /** "" for the repository root, else a relative directory without a trailing slash. */
  contextPath: string;
  dockerfilePath: string;
  /** BuildKit's remote git context: `https://github.com/owner/name.git#<sha>[:<dir>]`. */
  contextUrl: string;
}

export class InvalidGitSourceError extends Error {
  override readonly name = "InvalidGitSourceError";
}

// GitHub's own rules: owner 1-39 of [A-Za-z0-9-] not starting with "-"; repository 1-100 of [A-Za-z0-9._-].
const REPOSITORY = /^([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([A-Za-z0-9._-]{1,100})$/;
const GITHUB_URL = /^https:\/\/github\.com\/([^/]+\/[^/]+?)(?:\.git)?\/?$/;
const COMMIT_SHA = /^[0-9a-f]{40}$/;
const PATH_SEGMENT = /^[A-Za-z0-9._@+-]+$/;

/** Checks every field `depot build` will see; throws `InvalidGitSourceError` naming the field. */
export function gitBuildContext(source: GitSource): GitBuildContext {
  const repository = normalizeRepository(source.repository);
  const commitSha = source.commitSha.toLowerCase();
  if (!COMMIT_SHA.test(commitSha)) {
    throw new InvalidGitSourceError(`git.commit_sha "${source.commitSha}" is not a full 40-character commit SHA`);
  }
  const contextPath = relativePath("git.context_path", source.contextPath);
  const dockerfilePath = relativePath("git.dockerfile_path", source.dockerfilePath) || "Dockerfile";
  const contextUrl = `https://github.com/${repository}.git#${commitSha}${contextPath ? `:${contextPath}` : ""}`;
  return { repository, commitSha, contextPath, dockerfilePath, contextUrl };
}

function normalizeRepository(value: string): string {
  const fromUrl = GITHUB_URL.exec(value)?.[1];
  const repository = fromUrl ?? value;
  const match = REPOSITORY.exec(repository);
  if (!match || match[2] === "." || match[2] === "..") {
    throw new InvalidGitSourceError(
      `git.repository "${value}" is not a GitHub repository (owner/name or https://github.com/owner/name)`,
    );
  }
  return repository.replace(/\.git$/, "");
}

/** "" / "." → ""; otherwise a relative path whose segments are plain names (no "..", no "/x"). */
function relativePath(field: string, value: string): string {
  const trimmed = value.replace(/^\.\//, "").replace(/\/+$/, "");
  if (trimmed === "" || trimmed === ".") return "";
  if (trimmed.startsWith("/"))
    throw new InvalidGitSourceError(`${field} "${value}" must be relative to the repository`);
  for (const segment of trimmed.split("/")) {
    if (segment === "" || segment === "." || segment === ".." || !PATH_SEGMENT.test(segment)) {
      throw new InvalidGitSourceError(
        `${field} "${value}" has an invalid segment "${segment}" (plain names only: no "..", "//" or special characters)`,
      );
    }
  }
  return trimmed;
}
