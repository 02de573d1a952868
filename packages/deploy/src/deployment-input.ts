import { Code, ConnectError } from "@connectrpc/connect";
import { isId } from "@hydra/db";
import { branchProblem } from "@hydra/projects";
import type { DeploymentSource } from "./sql/rows";

/**
 * Checks a CreateDeployment request field by field; the first problem becomes an
 * `invalid_argument` naming the field. Pure: no database.
 */
export interface CreateDeploymentInput {
  projectId: string;
  environmentSlug: string;
  branch: string;
  commit: { sha: string; message: string; authorHandle: string; timestampMs: bigint } | null;
  source: DeploymentSource | null;
  command: string[];
  idempotencyKey: string;
}

export interface CheckedDeploymentInput {
  projectId: string;
  environmentSlug: string;
  branch: string;
  commitSha: string;
  commitMessage: string;
  authorHandle: string;
  commitAt: Date | null;
  source: DeploymentSource;
  command: string[];
  idempotencyKey: string | null;
}

const SHA = /^[0-9a-f]{7,64}$/;
const MAX_KEY = 255;
const MAX_COMMAND_ARGS = 128;
const MAX_ARG = 4096;
const MAX_MESSAGE = 8192;

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

export function checkCreateDeployment(
  input: CreateDeploymentInput,
  imageProblem: (image: string) => string | undefined,
): CheckedDeploymentInput {
  if (!isId("project", input.projectId)) throw invalid(`project_id "${input.projectId}" is not a project id (prj_…)`);
  if (!input.environmentSlug) throw invalid("environment_slug is required (production or preview)");
  if (!input.source) throw invalid("source is required: git or docker_image");
  if (input.idempotencyKey.length > MAX_KEY)
    throw invalid(`idempotency_key is ${input.idempotencyKey.length} characters; at most ${MAX_KEY}`);
  if (input.command.length > MAX_COMMAND_ARGS)
    throw invalid(`command has ${input.command.length} arguments; at most ${MAX_COMMAND_ARGS}`);
  const longArg = input.command.findIndex((arg) => arg.length > MAX_ARG);
  if (longArg >= 0) throw invalid(`command[${longArg}] is longer than ${MAX_ARG} characters`);

  const git = input.source.git;
  let commitSha = input.commit?.sha.toLowerCase() ?? "";
  let branch = input.branch;
  if (git) {
    if (!git.repository) throw invalid("git.repository is required");
    const gitSha = git.commitSha.toLowerCase();
    if (!SHA.test(gitSha)) throw invalid(`git.commit_sha "${git.commitSha}" is not a hex commit sha`);
    if (commitSha && commitSha !== gitSha)
      throw invalid(`git_commit.commit_sha ${commitSha} differs from git.commit_sha ${gitSha}`);
    commitSha = gitSha;
    if (git.branch && branch && git.branch !== branch)
      throw invalid(`branch "${branch}" differs from git.branch "${git.branch}"`);
    branch ||= git.branch;
    if (git.contextPath.includes("..") || git.dockerfilePath.includes(".."))
      throw invalid("git.context_path and git.dockerfile_path must stay inside the repository");
  } else if (input.source.dockerImage) {
    const problem = imageProblem(input.source.dockerImage.image);
    if (problem) throw invalid(`docker_image.image: ${problem}`);
  }
  if (commitSha && !SHA.test(commitSha)) throw invalid(`git_commit.commit_sha "${commitSha}" is not a hex commit sha`);
  if (branch) {
    const problem = branchProblem(branch);
    if (problem) throw invalid(`branch "${branch}" ${problem}`);
  }
  const message = input.commit?.message ?? "";
  if (message.length > MAX_MESSAGE) throw invalid(`git_commit.commit_message is longer than ${MAX_MESSAGE} characters`);
  const timestampMs = input.commit?.timestampMs ?? 0n;
  return {
    projectId: input.projectId,
    environmentSlug: input.environmentSlug,
    branch,
    commitSha,
    commitMessage: message,
    authorHandle: input.commit?.authorHandle ?? "",
    commitAt: timestampMs > 0n ? new Date(Number(timestampMs)) : null,
    source: input.source,
    command: input.command,
    idempotencyKey: input.idempotencyKey || null,
  };
}
