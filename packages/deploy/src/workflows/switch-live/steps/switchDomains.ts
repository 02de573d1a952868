import type { DeploymentFacts } from "../../../preconditions";
import { listSwitchableDomainIds } from "../../../sql/listSwitchableDomainIds";
import type { DeployDeps } from "../../deps";
import { asTerminal } from "../asTerminal";

export interface SwitchLiveOutput {
  previousLiveDeploymentId: string;
  liveDeploymentId: string;
  routingGeneration: string;
}

export interface SwitchPlan {
  target: DeploymentFacts;
  /** The live deployment the decision was made on: routing refuses if it moved since. */
  expectedLive: string;
  rolledBack: boolean;
  /** false: only the live pointer and flag change (promoting the live deployment while rolled back). */
  moveDomains: boolean;
}

/**
 * Step `switch-domains`: the environment's LIVE and ENVIRONMENT domains and the project's live
 * pointer move to the target in one routing transaction, guarded by `expectedLive`.
 */
export function switchDomains(
  deps: DeployDeps,
  runId: string,
  plan: SwitchPlan,
  signal: AbortSignal,
): Promise<SwitchLiveOutput> {
  return asTerminal(async () => {
    const targetId = plan.target.id;
    const domainIds = plan.moveDomains
      ? await listSwitchableDomainIds(deps.pool, plan.target.projectId, plan.target.environmentId)
      : [];
    const response = await deps.router.switchDomains(
      {
        targetDeploymentId: targetId,
        domainIds,
        idempotencyKey: `${runId}:switch`,
        setLive: true,
        rolledBack: plan.rolledBack,
        expectedLiveDeploymentId: plan.expectedLive,
      },
      { signal },
    );
    return {
      previousLiveDeploymentId: response.previousLiveDeploymentId,
      liveDeploymentId: targetId,
      routingGeneration: response.routingGeneration.toString(),
    };
  });
}
