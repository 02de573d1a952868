import type { OwnerIds, SentinelRef } from "@hydra/cluster";
import type { GatewayConfigInit } from "./workflows/deps";

export interface GatewayConfigInput extends OwnerIds {
  deploymentId: string;
  /** The port the deployment's containers listen on. */
  port: number;
  /** region → the environment's sentinel there (the ensure-sentinels step's output). */
  sentinels: Record<string, Pick<SentinelRef, "host" | "servicePort" | "externalAddress">>;
}

/**
 * A deployment's gateway config: what the edge needs to route its hostnames. It names stable
 * targets only — the deployment, and per region the sentinel Service that forwards to the
 * deployment's Service — so pods moving, restarting or scaling to zero change nothing here.
 */
export function gatewayConfigFor(input: GatewayConfigInput): GatewayConfigInit {
  return {
    deploymentId: input.deploymentId,
    isEnabled: true,
    workspaceId: input.workspaceId,
    projectId: input.projectId,
    environmentId: input.environmentId,
    port: input.port,
    sentinels: Object.keys(input.sentinels)
      .sort()
      .map((region) => {
        const sentinel = input.sentinels[region]!;
        return {
          region,
          serviceHost: sentinel.host,
          servicePort: sentinel.servicePort,
          externalAddress: sentinel.externalAddress ?? "",
        };
      }),
  };
}
