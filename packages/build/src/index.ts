export {
  assertMayContinue,
  BuildError,
  buildSourceFromProto,
  buildSourceFromRecord,
  type BuildBackend,
  type BuildBackendKind,
  type BuildErrorCode,
  type BuildOptions,
  type BuildRequest,
  type BuildResult,
  type BuildSource,
  type GitSource,
} from "./backend";
export { DepotBackend, DEPOT_SETTINGS_HINT, imageTag, type DepotBackendConfig } from "./depot-backend";
export { ImageBackend } from "./image-backend";
export {
  buildBackendsConfigFromEnv,
  createBuildBackends,
  type BuildBackends,
  type BuildBackendsConfig,
} from "./factory";
export { gitBuildContext, InvalidGitSourceError, type GitBuildContext } from "./git-source";
export {
  InvalidImageReferenceError,
  isValidImageReference,
  isValidTag,
  parseImageReference,
  type ImageReference,
} from "./reference";
