import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { DeploymentService } from "@hydra/proto/ctrl/v1";
import { DeployService } from "@hydra/proto/hydra/v1";

// The RPCs whose workflows have not landed yet answer `unimplemented`, naming what is
// missing. Each disappears when its issue lands (Deploy/Rollback/Promote: issue 6).

function missing(rpc: string, what: string): never {
  throw new ConnectError(`${rpc} is not implemented yet: it needs ${what}`, Code.Unimplemented);
}

const DEPLOY_WORKFLOWS = "the Deploy, Rollback and Promote workflows (issue 6: workflow engine, routing and cluster driver)";

export const pendingDeployService: ServiceImpl<typeof DeployService> = {
  deploy: () => missing("hydra.v1.DeployService/Deploy", DEPLOY_WORKFLOWS),
  rollback: () => missing("hydra.v1.DeployService/Rollback", DEPLOY_WORKFLOWS),
  promote: () => missing("hydra.v1.DeployService/Promote", DEPLOY_WORKFLOWS),
};

export const pendingDeploymentService: ServiceImpl<typeof DeploymentService> = {
  createDeployment: () => missing("ctrl.v1.DeploymentService/CreateDeployment", DEPLOY_WORKFLOWS),
  getDeployment: () => missing("ctrl.v1.DeploymentService/GetDeployment", DEPLOY_WORKFLOWS),
  listDeployments: () => missing("ctrl.v1.DeploymentService/ListDeployments", DEPLOY_WORKFLOWS),
  // eslint-disable-next-line require-yield
  watchDeployment: async function* () {
    missing("ctrl.v1.DeploymentService/WatchDeployment", DEPLOY_WORKFLOWS);
  },
  cancelDeployment: () => missing("ctrl.v1.DeploymentService/CancelDeployment", DEPLOY_WORKFLOWS),
};
