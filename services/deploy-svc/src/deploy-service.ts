import type { ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import type { DeployApi } from "@hydra/deploy";
import { DeployService } from "@hydra/proto/hydra/v1";
import { isId } from "@hydra/db";
import { sourceFromProto, STATUS } from "./deployment-convert";

/** hydra.v1.DeployService: thin over DeployApi. */
export function deployService(api: DeployApi): ServiceImpl<typeof DeployService> {
  return {
    async deploy(req) {
      if (!isId("deployment", req.deploymentId)) {
        throw new ConnectError(
          `deployment_id "${req.deploymentId}" is not a deployment id (dep_…)`,
          Code.InvalidArgument,
        );
      }
      const { deployment, workflowId } = await api.deploy(req.deploymentId, sourceFromProto(req.source), req.command);
      return { deploymentId: deployment.id, workflowId, status: STATUS[deployment.status] };
    },
    async rollback(req) {
      const result = await api.rollback({
        sourceDeploymentId: req.sourceDeploymentId,
        targetDeploymentId: req.targetDeploymentId,
      });
      return {
        previousLiveDeploymentId: result.previousLiveDeploymentId,
        liveDeploymentId: result.liveDeploymentId,
        routingGeneration: BigInt(result.routingGeneration),
      };
    },
    async promote(req) {
      const result = await api.promote({ targetDeploymentId: req.targetDeploymentId });
      return {
        previousLiveDeploymentId: result.previousLiveDeploymentId,
        liveDeploymentId: result.liveDeploymentId,
        routingGeneration: BigInt(result.routingGeneration),
      };
    },
  };
}
