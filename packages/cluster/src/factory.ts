import { type ClusterDriverConfig, clusterConfigFromEnv } from "./config";
import type { ClusterDriver } from "./driver";
import { SimulatedDriver } from "./simulated";

/**
 * The driver a configuration selects: `kubernetes` (one KubeConfig per region of `clusters`) or
 * `simulated` (in memory). Without an argument, the configuration comes from the environment
 * (`HYDRA_CLUSTER_DRIVER`, `HYDRA_CLUSTERS`, `HYDRA_SIMULATED_READY_MS`; see clusterConfigFromEnv).
 */
export function createClusterDriver(config: ClusterDriverConfig = clusterConfigFromEnv()): ClusterDriver {
  switch (config.kind) {
    case "kubernetes":
      return new (loadKubernetesModule().KubernetesDriver)(config);
    case "simulated":
      return new SimulatedDriver(config);
  }
}

/**
 * The kubernetes driver module, loaded on first use: it pulls in @kubernetes/client-node (about
 * 100 MB of RSS), which a simulated deploy-svc should not pay. A CommonJS `require`, not `import()`:
 * the services run on tsx's CommonJS hook only, where `import()` of a .ts file fails.
 */
function loadKubernetesModule(): typeof import("./kubernetes") {
  return require("./kubernetes") as typeof import("./kubernetes");
}
