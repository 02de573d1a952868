import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type {
  DeploymentEventSchema,
  DeploymentSchema,
  InstanceSchema,
  StepSchema,
  TopologySchema,
} from "@hydra/proto/ctrl/v1";
import { DeploymentStatus, type DockerImage, type GitSource } from "@hydra/proto/hydra/v1";
import type { DeploymentEventRow, DeploymentRow, DeploymentSource, InstanceRow, TopologyRow } from "@hydra/deploy";
import type { StepView } from "@hydra/workflow";

/** Deployments between the database and the wire. */

export const STATUS: Record<DeploymentRow["status"], DeploymentStatus> = {
  pending: DeploymentStatus.PENDING,
  building: DeploymentStatus.BUILDING,
  deploying: DeploymentStatus.DEPLOYING,
  network: DeploymentStatus.NETWORK,
  ready: DeploymentStatus.READY,
  failed: DeploymentStatus.FAILED,
  cancelled: DeploymentStatus.CANCELLED,
  superseded: DeploymentStatus.SUPERSEDED,
};

type SourceOneof =
  | { case: "git"; value: GitSource }
  | { case: "dockerImage"; value: DockerImage }
  | { case: undefined; value?: undefined };

/** The request's oneof as stored (GitSource's int64 as a string: JSON has no bigint). */
export function sourceFromProto(source: SourceOneof): DeploymentSource | null {
  switch (source.case) {
    case "git": {
      const g = source.value;
      return {
        git: {
          installationId: g.installationId.toString(),
          repository: g.repository,
          commitSha: g.commitSha,
          contextPath: g.contextPath,
          dockerfilePath: g.dockerfilePath,
          branch: g.branch,
        },
      };
    }
    case "dockerImage":
      return { dockerImage: { image: source.value.image } };
    default:
      return null;
  }
}

function sourceToProto(source: DeploymentSource): MessageInitShape<typeof DeploymentSchema>["source"] {
  if (source.git) {
    return { case: "git", value: { ...source.git, installationId: BigInt(source.git.installationId || "0") } };
  }
  if (source.dockerImage) return { case: "dockerImage", value: { image: source.dockerImage.image } };
  return { case: undefined };
}

export function deploymentMessage(d: DeploymentRow): MessageInitShape<typeof DeploymentSchema> {
  return {
    id: d.id,
    workspaceId: d.workspace_id,
    projectId: d.project_id,
    environmentId: d.environment_id,
    environmentSlug: d.environment_slug,
    branch: d.branch,
    commitSha: d.commit_sha,
    commitMessage: d.commit_message,
    authorHandle: d.author_handle,
    image: d.image ?? "",
    status: STATUS[d.status],
    failureReason: d.failure_reason ?? "",
    failedStep: d.failed_step ?? "",
    workflowId: d.workflow_id ?? "",
    sequence: d.sequence,
    desiredState: d.desired_state,
    createdAt: timestampFromDate(d.created_at),
    updatedAt: timestampFromDate(d.updated_at),
    source: sourceToProto(d.source),
    command: d.command,
  };
}

/** Workflow steps as a deployment's steps: engine markers hidden, compensations named as such. */
export function stepMessages(steps: StepView[]): MessageInitShape<typeof StepSchema>[] {
  return steps
    .filter((s) => !s.name.startsWith("$") || s.name.startsWith("$compensate:"))
    .map((s) => ({
      sequence: s.sequence,
      name: s.name.replace(/^\$compensate:/, "compensate:"),
      status: s.status,
      attempts: s.attempts,
      error: s.error ?? "",
      startedAt: timestampFromDate(s.startedAt),
      endedAt: s.endedAt ? timestampFromDate(s.endedAt) : undefined,
      durationMs: s.endedAt ? BigInt(Math.max(0, s.endedAt.getTime() - s.startedAt.getTime())) : 0n,
    }));
}

export function topologyMessage(t: TopologyRow): MessageInitShape<typeof TopologySchema> {
  return { region: t.region, desiredReplicas: t.desired_replicas, status: t.status };
}

export function instanceMessage(i: InstanceRow): MessageInitShape<typeof InstanceSchema> {
  return { id: i.id, region: i.region, address: i.address, status: i.status };
}

const STATUS_BY_NAME = STATUS as Record<string, DeploymentStatus>;

export function eventMessage(e: DeploymentEventRow): MessageInitShape<typeof DeploymentEventSchema> {
  const p = e.payload;
  const base = { eventId: e.id.toString(), deploymentId: e.deployment_id, at: timestampFromDate(e.created_at) };
  if (e.kind === "status") {
    return {
      ...base,
      event: {
        case: "status",
        value: {
          status: STATUS_BY_NAME[String(p.status)] ?? DeploymentStatus.UNSPECIFIED,
          reason: String(p.reason ?? ""),
        },
      },
    };
  }
  return {
    ...base,
    event: {
      case: "step",
      value: {
        name: String(p.name ?? ""),
        state: String(p.state ?? ""),
        attempt: Number(p.attempt ?? 0),
        error: String(p.error ?? ""),
      },
    },
  };
}
