import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DomainSchema, EnvironmentSchema, ProjectSchema } from "@hydra/proto/ctrl/v1";
import { stickyToProto } from "@hydra/routing";
import type { DomainRecord, EnvironmentRecord, ProjectRecord } from "@hydra/projects";

/** Database records → ctrl.v1 messages. */

export function projectMessage(p: ProjectRecord): MessageInitShape<typeof ProjectSchema> {
  return {
    id: p.id,
    workspaceId: p.workspaceId,
    workspaceSlug: p.workspace.slug,
    name: p.name,
    slug: p.slug,
    defaultBranch: p.defaultBranch,
    liveDeploymentId: p.liveDeploymentId ?? "",
    isRolledBack: p.isRolledBack,
    routingGeneration: p.routingGeneration,
    createdAt: timestampFromDate(p.createdAt),
  };
}

export function environmentMessage(e: EnvironmentRecord): MessageInitShape<typeof EnvironmentSchema> {
  return {
    id: e.id,
    projectId: e.projectId,
    slug: e.slug,
    production: e.production,
    regions: e.regions as Record<string, number>,
  };
}

/** What both the project store (Prisma) and the deployment store (SQL) know of a domain. */
export type DomainView = Pick<
  DomainRecord,
  "id" | "name" | "sticky" | "deploymentId" | "environmentId" | "projectId" | "workspaceId" | "updatedAt"
>;

export function domainMessage(d: DomainView): MessageInitShape<typeof DomainSchema> {
  return {
    id: d.id,
    name: d.name,
    sticky: stickyToProto(d.sticky),
    deploymentId: d.deploymentId,
    environmentId: d.environmentId ?? "",
    projectId: d.projectId,
    workspaceId: d.workspaceId,
    updatedAt: timestampFromDate(d.updatedAt),
  };
}
