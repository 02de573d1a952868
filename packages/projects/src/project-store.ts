import { Code, ConnectError } from "@connectrpc/connect";
import { isId, newId, Prisma, type PrismaClient } from "@hydra/db";
import { branchProblem } from "./branch";
import { resolveRegions, type Regions } from "./regions";
import { combinedSlugProblem, slugProblem } from "./slug";

/** Workspaces, projects and their environments: the records everything else hangs off. */

export const ENVIRONMENTS = [
  { slug: "production", production: true },
  { slug: "preview", production: false },
] as const;

const MAX_NAME_LENGTH = 200;

export interface CreateWorkspaceInput {
  name: string;
  slug: string;
}

export interface CreateProjectInput {
  workspaceId: string;
  name: string;
  slug: string;
  defaultBranch: string;
  regions: Regions;
}

export type ProjectRecord = Prisma.ProjectGetPayload<{ include: { workspace: true } }>;
export type EnvironmentRecord = Prisma.EnvironmentGetPayload<object>;
export type DomainRecord = Prisma.DomainGetPayload<object>;

export interface ProjectView {
  project: ProjectRecord;
  environments: EnvironmentRecord[];
  domains: DomainRecord[];
}

function invalid(field: string, problem: string): ConnectError {
  return new ConnectError(`${field} ${problem}`, Code.InvalidArgument);
}

function nameProblem(name: string): string | undefined {
  if (name.trim().length === 0) return "is empty";
  if (name.length > MAX_NAME_LENGTH) return `is ${name.length} characters; at most ${MAX_NAME_LENGTH}`;
  return undefined;
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
}

export class ProjectStore {
  constructor(
    private readonly prisma: PrismaClient,
    /** Regions hydra has clusters for. */
    private readonly configuredRegions: () => readonly string[],
  ) {}

  async createWorkspace(input: CreateWorkspaceInput): Promise<{ workspaceId: string }> {
    const slugWhy = slugProblem(input.slug);
    if (slugWhy) throw invalid(`slug "${input.slug}"`, slugWhy);
    const nameWhy = nameProblem(input.name);
    if (nameWhy) throw invalid("name", nameWhy);
    try {
      const workspace = await this.prisma.workspace.create({
        data: { id: newId("workspace"), name: input.name.trim(), slug: input.slug },
      });
      return { workspaceId: workspace.id };
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ConnectError(`workspace slug "${input.slug}" is taken`, Code.AlreadyExists);
      throw error;
    }
  }

  async createProject(input: CreateProjectInput): Promise<{ projectId: string; environments: EnvironmentRecord[] }> {
    if (!isId("workspace", input.workspaceId))
      throw invalid("workspace_id", `"${input.workspaceId}" is not a workspace id (ws_…)`);
    const slugWhy = slugProblem(input.slug);
    if (slugWhy) throw invalid(`slug "${input.slug}"`, slugWhy);
    const nameWhy = nameProblem(input.name);
    if (nameWhy) throw invalid("name", nameWhy);
    const defaultBranch = input.defaultBranch || "main";
    const branchWhy = branchProblem(defaultBranch);
    if (branchWhy) throw invalid(`default_branch "${defaultBranch}"`, branchWhy);
    const regions = resolveRegions(input.regions, this.configuredRegions());
    if (!regions.ok) throw invalid("regions:", regions.problem);

    const workspace = await this.prisma.workspace.findUnique({ where: { id: input.workspaceId } });
    if (!workspace) throw new ConnectError(`workspace ${input.workspaceId} not found`, Code.NotFound);
    const combinedWhy = combinedSlugProblem(input.slug, workspace.slug);
    if (combinedWhy) throw invalid("slug:", combinedWhy);

    const projectId = newId("project");
    try {
      const environments = await this.prisma.$transaction(async (tx) => {
        await tx.project.create({
          data: { id: projectId, workspaceId: workspace.id, name: input.name.trim(), slug: input.slug, defaultBranch },
        });
        return Promise.all(
          ENVIRONMENTS.map((env) =>
            tx.environment.create({
              data: {
                id: newId("environment"),
                workspaceId: workspace.id,
                projectId,
                slug: env.slug,
                production: env.production,
                regions: regions.regions,
              },
            }),
          ),
        );
      });
      return { projectId, environments };
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConnectError(
          `project slug "${input.slug}" is taken in workspace ${workspace.id}`,
          Code.AlreadyExists,
        );
      }
      throw error;
    }
  }

  async getProject(projectId: string): Promise<ProjectView> {
    if (!isId("project", projectId)) throw invalid("project_id", `"${projectId}" is not a project id (prj_…)`);
    const project = await this.prisma.project.findUnique({ where: { id: projectId }, include: { workspace: true } });
    if (!project) throw new ConnectError(`project ${projectId} not found`, Code.NotFound);
    const [environments, domains] = await Promise.all([
      this.prisma.environment.findMany({ where: { projectId }, orderBy: { slug: "asc" } }),
      this.prisma.domain.findMany({ where: { projectId }, orderBy: { name: "asc" } }),
    ]);
    return { project, environments, domains };
  }
}
