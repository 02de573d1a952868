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
  networkPolicyManifest,
  workloadLabels,
  workloadSelector,
  sentinelLabels,
  sentinelSelector,
} from "./manifests";
export { KubernetesDriver, loadKubeConfig } from "./kubernetes";
export { SimulatedDriver, type SimulatedMode } from "./simulated";
export { KubeHttp, type WatchEvent } from "./kube-http";
