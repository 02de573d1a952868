import type { ServiceImpl } from "@connectrpc/connect";
import { ProjectService } from "@hydra/proto/ctrl/v1";
import type { ProjectStore } from "@hydra/projects";
import { domainMessage, environmentMessage, projectMessage } from "./convert";

/** ctrl.v1.ProjectService: validation and rules live in ProjectStore. */
export function projectService(store: ProjectStore): ServiceImpl<typeof ProjectService> {
  return {
    async createWorkspace(req) {
      return store.createWorkspace({ name: req.name, slug: req.slug });
    },
    async createProject(req) {
      const { projectId, environments } = await store.createProject({
        workspaceId: req.workspaceId,
        name: req.name,
        slug: req.slug,
        defaultBranch: req.defaultBranch,
        regions: req.regions,
      });
      return { projectId, environments: environments.map(environmentMessage) };
    },
    async getProject(req) {
      const view = await store.getProject(req.projectId);
      return {
        project: projectMessage(view.project),
        environments: view.environments.map(environmentMessage),
        domains: view.domains.map(domainMessage),
      };
    },
  };
}
