import type { CheckedSwitch, RollbackInput } from "./checks";
import type { SwitchPlan } from "./steps/switchDomains";

/** Rollback: the domains move back to the target, guarded by the source still being live; the project is rolled back. */
export function rollbackPlan(checked: CheckedSwitch, input: RollbackInput): SwitchPlan {
  return { target: checked.target, expectedLive: input.sourceDeploymentId, rolledBack: true, moveDomains: true };
}

/**
 * Promote: the domains move to the target, guarded by the live deployment the check saw
 * (checkPromote refuses a project without one). Promoting the live deployment while rolled
 * back just clears the flag (SPEC §3): its LIVE domains are already there, and ENVIRONMENT
 * may rightly follow a newer deploy.
 */
export function promotePlan(checked: CheckedSwitch): SwitchPlan {
  const previousLive = checked.project.liveDeploymentId!;
  return {
    target: checked.target,
    expectedLive: previousLive,
    rolledBack: false,
    moveDomains: checked.target.id !== previousLive,
  };
}
