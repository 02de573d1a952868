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
export {
  DEPLOYMENT_ID_HEADER,
  DEPLOYMENT_ID_PATTERN,
  SENTINEL_HEALTH_PATH,
  renderSentinelConfig,
  type SentinelConfigInput,
} from "./sentinel-config";
export { sentinelClusterConfig, SENTINEL_CONFIG_ANNOTATION } from "./manifests";
export { nginxAvailable, NginxProcess } from "./local/nginx";
export { LOCAL_SERVICE_PORT } from "./local/serving";
// KubernetesDriver, loadKubeConfig and KubeHttp live at "@hydra/cluster/kubernetes" (or come from
// createClusterDriver), so that importing this entry does not load @kubernetes/client-node.
