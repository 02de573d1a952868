import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { deploymentEvents, type DeployApi, type Wakeups } from "@hydra/deploy";
import type { Pool } from "@hydra/db";
import { DeploymentService } from "@hydra/proto/ctrl/v1";
import type { WorkflowEngine } from "@hydra/workflow";
import { domainMessage } from "./convert";
import {
  deploymentMessage,
  eventMessage,
  instanceMessage,
  sourceFromProto,
  STATUS,
  stepMessages,
  topologyMessage,
} from "./deployment-convert";

/** ctrl.v1.DeploymentService: thin over DeployApi and the deployment store. */
export function deploymentService(
  api: DeployApi,
  engine: WorkflowEngine,
  pool: Pool,
  wakeups: Wakeups,
): ServiceImpl<typeof DeploymentService> {
  return {
    async createDeployment(req) {
      const { deployment, workflowId } = await api.createDeployment({
        projectId: req.projectId,
        environmentSlug: req.environmentSlug,
        branch: req.branch,
        commit: req.gitCommit
          ? {
              sha: req.gitCommit.commitSha,
              message: req.gitCommit.commitMessage,
              authorHandle: req.gitCommit.authorHandle,
              timestampMs: req.gitCommit.timestampMs,
            }
          : null,
        source: sourceFromProto(req.source),
        command: req.command,
        idempotencyKey: req.idempotencyKey,
      });
      return { deploymentId: deployment.id, workflowId, status: STATUS[deployment.status] };
    },

    async getDeployment(req) {
      const details = await api.store.details(req.deploymentId);
      const run = details.deployment.workflow_id ? await engine.get(details.deployment.workflow_id) : null;
      return {
        deployment: deploymentMessage(details.deployment),
        steps: stepMessages(run?.steps ?? []),
        topologies: details.topologies.map(topologyMessage),
        instances: details.instances.map(instanceMessage),
        domains: details.domains.map((d) =>
          domainMessage({
            id: d.id,
            name: d.name,
            sticky: d.sticky,
            deploymentId: d.deployment_id,
            environmentId: d.environment_id,
            projectId: d.project_id,
            workspaceId: d.workspace_id,
            updatedAt: d.updated_at,
          }),
        ),
      };
    },

    async listDeployments(req) {
      const page = await api.store.list({
        projectId: req.projectId,
        environmentSlug: req.environmentSlug,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { deployments: page.deployments.map(deploymentMessage), nextPageToken: page.nextPageToken };
    },

    async *watchDeployment(req, ctx) {
      await api.store.get(req.deploymentId); // not_found / invalid_argument before streaming
      let after = 0n;
      if (req.afterEventId) {
        if (!/^\d{1,19}$/.test(req.afterEventId)) {
          throw new ConnectError(
            `after_event_id "${req.afterEventId}" is not an event id this API returned`,
            Code.InvalidArgument,
          );
        }
        after = BigInt(req.afterEventId);
      }
      for await (const event of deploymentEvents(pool, wakeups, req.deploymentId, after, ctx.signal)) {
        yield eventMessage(event);
      }
    },

    async cancelDeployment(req) {
      const deployment = await api.cancelDeployment(req.deploymentId, req.reason);
      return { deployment: deploymentMessage(deployment) };
    },
  };
}
