import { BuildError, type BuildBackend, type BuildOptions, type BuildRequest, type BuildResult } from "./backend";
import { DepotBackend, type DepotBackendConfig } from "./depot-backend";
import { ImageBackend } from "./image-backend";

export interface BuildBackendsConfig {
  depotToken?: string;
  depotProjectId?: string;
  depotRegion?: string;
  depotApiUrl?: string;
  depotRegistry?: string;
  depotCliPath?: string;
  depotPlatform?: string;
  depotCallTimeoutMs?: number;
  depotPollIntervalMs?: number;
  depotKillGraceMs?: number;
  depotAbandonAfterMs?: number;
  gitAuthToken?: DepotBackendConfig["gitAuthToken"];
}

export interface BuildBackends {
  readonly image: BuildBackend;
  readonly depot: BuildBackend;
  /** The backend for this request's source: `dockerImage` → image, `git` → depot. */
  forRequest(request: BuildRequest): BuildBackend;
  /** `forRequest(request).build(request, options)`. */
  build(request: BuildRequest, options: BuildOptions): Promise<BuildResult>;
}

export function createBuildBackends(config: BuildBackendsConfig): BuildBackends {
  const image = new ImageBackend();
  const depot = new DepotBackend({
    ...(config.depotToken ? { token: config.depotToken } : {}),
    ...(config.depotProjectId ? { projectId: config.depotProjectId } : {}),
    ...(config.depotRegion ? { region: config.depotRegion } : {}),
    ...(config.depotApiUrl ? { apiUrl: config.depotApiUrl } : {}),
    ...(config.depotRegistry ? { registry: config.depotRegistry } : {}),
    ...(config.depotCliPath ? { cliPath: config.depotCliPath } : {}),
    ...(config.depotPlatform ? { platform: config.depotPlatform } : {}),
    ...(config.depotCallTimeoutMs !== undefined ? { callTimeoutMs: config.depotCallTimeoutMs } : {}),
    ...(config.depotPollIntervalMs !== undefined ? { pollIntervalMs: config.depotPollIntervalMs } : {}),
    ...(config.depotKillGraceMs !== undefined ? { killGraceMs: config.depotKillGraceMs } : {}),
    ...(config.depotAbandonAfterMs !== undefined ? { abandonAfterMs: config.depotAbandonAfterMs } : {}),
    ...(config.gitAuthToken ? { gitAuthToken: config.gitAuthToken } : {}),
  });
  const forRequest = (request: BuildRequest): BuildBackend => {
    if ("git" in request.source) return depot;
    if ("dockerImage" in request.source) return image;
    throw new BuildError("invalid_argument", `deployment ${request.deploymentId}: source must be git or docker_image`);
  };
  return { image, depot, forRequest, build: (request, options) => forRequest(request).build(request, options) };
}

/**
 * The build settings from the environment: DEPOT_TOKEN, DEPOT_PROJECT_ID, DEPOT_REGION,
 * DEPOT_API_URL, DEPOT_REGISTRY, DEPOT_PLATFORM. (DEPOT_BINARY_PATH is read by @depot/cli itself.)
 */
export function buildBackendsConfigFromEnv(env: NodeJS.ProcessEnv = process.env): BuildBackendsConfig {
  const pick = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const config: BuildBackendsConfig = {};
  const token = pick("DEPOT_TOKEN");
  const projectId = pick("DEPOT_PROJECT_ID");
  const region = pick("DEPOT_REGION");
  const apiUrl = pick("DEPOT_API_URL");
  const registry = pick("DEPOT_REGISTRY");
  const platform = pick("DEPOT_PLATFORM");
  if (token) config.depotToken = token;
  if (projectId) config.depotProjectId = projectId;
  if (region) config.depotRegion = region;
  if (apiUrl) config.depotApiUrl = apiUrl;
  if (registry) config.depotRegistry = registry;
  if (platform) config.depotPlatform = platform;
  return config;
}
