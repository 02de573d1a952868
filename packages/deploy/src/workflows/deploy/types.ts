/** The Deploy workflow's kind, step names (stable: SPEC §3 and recorded runs use them) and data. */
export const DEPLOY_KIND = "deploy";

export const DEPLOY_STEPS = [
  "load-metadata",
  "build",
  "deploying",
  "create-topologies",
  "ensure-sentinels",
  "ensure-network-policy",
  "apply-workloads",
  "wait-ready",
  "build-routes",
  "assign-routes",
  "ready",
  "update-live",
  "schedule-standby",
] as const;
export type DeployStep = (typeof DEPLOY_STEPS)[number];

export interface DeployInput {
  deploymentId: string;
}

export interface DeployOutput {
  deploymentId: string;
  live: boolean;
  routingGeneration: string;
  changedDomains: string[];
  /** The standby timers this deploy started (deployments its routing left idle). */
  standbyRunIds: string[];
}
