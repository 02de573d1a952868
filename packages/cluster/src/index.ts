export * from "./driver";
export * from "./errors";
export * from "./names";
export * from "./config";
export * from "./factory";
export {
  FIELD_MANAGER,
  LABEL,
  CILIUM_NAMESPACE_LABEL,
  DEFAULT_PORT,
  DEFAULT_RESOURCES,
  SERVICE_PORT,
  type KubeObject,
  namespaceManifest,
  workloadManifests,
  workloadRef,
  sentinelManifests,
  sentinelRef,
  networkPolicyManifest,
  workloadLabels,
  workloadSelector,
  sentinelLabels,
  sentinelSelector,
} from "./manifests";
export { SimulatedDriver, type SimulatedMode } from "./simulated";
// KubernetesDriver, loadKubeConfig and KubeHttp live at "@hydra/cluster/kubernetes" (or come from
// createClusterDriver), so that importing this entry does not load @kubernetes/client-node.
