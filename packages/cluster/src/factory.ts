import { type ClusterDriverConfig, clusterConfigFromEnv } from "./config";
import type { ClusterDriver } from "./driver";
import { KubernetesDriver } from "./kubernetes";
import { SimulatedDriver } from "./simulated";

/**
 * The driver a configuration selects: `kubernetes` (one KubeConfig per region of `clusters`) or
 * `simulated` (in memory). Without an argument, the configuration comes from the environment
 * (`HYDRA_CLUSTER_DRIVER`, `HYDRA_CLUSTERS`, `HYDRA_SIMULATED_READY_MS`; see clusterConfigFromEnv).
 */
export function createClusterDriver(config: ClusterDriverConfig = clusterConfigFromEnv()): ClusterDriver {
  switch (config.kind) {
    case "kubernetes":
      return new KubernetesDriver(config);
    case "simulated":
      return new SimulatedDriver(config);
  }
}
