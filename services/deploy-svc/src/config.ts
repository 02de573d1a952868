import { z } from "zod";
import { DEFAULT_RESOURCES } from "@hydra/cluster";
import { duration, httpUrl, listenAddress, loadConfig, logLevel, optionalSecret, postgresUrl } from "@hydra/server-kit";

/**
 * deploy-svc's configuration (SPEC §1), from the environment, with its defaults. The cluster
 * variables (HYDRA_CLUSTER_DRIVER, HYDRA_CLUSTERS, HYDRA_SIMULATED_*) are read by
 * packages/cluster (clusterConfigFromEnv), the build ones (DEPOT_*) by packages/build.
 */
/** A Kubernetes resource quantity: `250m`, `1`, `256Mi`, `1Gi`. */
const quantity = z
  .string()
  .regex(/^(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE])?$/, "must be a Kubernetes quantity such as 250m, 1, 256Mi");

const schema = z
  .object({
    DEPLOY_SVC_ADDR: listenAddress.default({ host: "127.0.0.1", port: 7001 }),
    ROUTING_SVC_URL: httpUrl.default("http://127.0.0.1:7002"),
    DATABASE_URL: postgresUrl.default("postgresql://postgres@127.0.0.1:5432/hydra"),
    HYDRA_API_TOKEN: optionalSecret,
    HYDRA_READY_TIMEOUT: duration.default(15 * 60_000),
    HYDRA_STANDBY_DELAY: duration.default(30 * 60_000),
    HYDRA_DEFAULT_DOMAIN: z.string().default("hydra.run"),
    HYDRA_BUILD_TIMEOUT: duration.default(30 * 60_000),
    HYDRA_APP_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
    HYDRA_SENTINEL_IMAGE: z.string().min(1).default("nginxinc/nginx-unprivileged:1.27-alpine"),
    HYDRA_SENTINEL_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
    // The sentinel pods' CPU and memory (requests = limits), Kubernetes quantities; absent: the driver's default.
    HYDRA_SENTINEL_CPU: quantity.optional(),
    HYDRA_SENTINEL_MEMORY: quantity.optional(),
    HYDRA_LEASE_MS: duration.default(15_000),
    // Deploy and standby runs executed at once by this instance (Rollback/Promote have their own 16).
    HYDRA_WORKFLOW_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
    // Fault injection for crash tests: "step=ms,step=ms".
    HYDRA_TEST_STEP_DELAY: z
      .string()
      .default("")
      .refine((v) => v === "" || /^[a-z-]+=\d+(,[a-z-]+=\d+)*$/.test(v), 'must be "step=ms,step=ms"')
      .transform((v) =>
        Object.fromEntries(
          v
            .split(",")
            .filter(Boolean)
            .map((pair) => [pair.split("=")[0]!, Number(pair.split("=")[1])]),
        ),
      ),
    // Ended runs, events of finished deployments, instances of ones that never ran (0: forever).
    HYDRA_RETENTION: duration.default(30 * 24 * 3_600_000),
    HYDRA_MAX_REQUEST_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024),
    // Wake on request: where sentinels hand requests for deployments on standby (the local
    // cluster's sentinels get it themselves; port 0 picks one), and how long a request waits.
    HYDRA_ACTIVATOR_ADDR: listenAddress.default({ host: "127.0.0.1", port: 0 }),
    HYDRA_WAKE_WAIT: duration.default(30_000),
    LOG_LEVEL: logLevel.default("info"),
  })
  .transform((env) => ({
    address: env.DEPLOY_SVC_ADDR,
    routingServiceUrl: env.ROUTING_SVC_URL,
    databaseUrl: env.DATABASE_URL,
    apiToken: env.HYDRA_API_TOKEN,
    readyTimeoutMs: env.HYDRA_READY_TIMEOUT,
    standbyDelayMs: env.HYDRA_STANDBY_DELAY,
    defaultDomain: env.HYDRA_DEFAULT_DOMAIN.toLowerCase(),
    buildTimeoutMs: env.HYDRA_BUILD_TIMEOUT,
    appPort: env.HYDRA_APP_PORT,
    sentinelImage: env.HYDRA_SENTINEL_IMAGE,
    sentinelPort: env.HYDRA_SENTINEL_PORT,
    sentinelResources:
      env.HYDRA_SENTINEL_CPU || env.HYDRA_SENTINEL_MEMORY
        ? {
            cpu: env.HYDRA_SENTINEL_CPU ?? DEFAULT_RESOURCES.cpu,
            memory: env.HYDRA_SENTINEL_MEMORY ?? DEFAULT_RESOURCES.memory,
          }
        : undefined,
    leaseMs: env.HYDRA_LEASE_MS,
    workflowConcurrency: env.HYDRA_WORKFLOW_CONCURRENCY,
    testStepDelayMs: env.HYDRA_TEST_STEP_DELAY,
    maxRequestBytes: env.HYDRA_MAX_REQUEST_BYTES,
    activatorAddress: env.HYDRA_ACTIVATOR_ADDR,
    wakeWaitMs: env.HYDRA_WAKE_WAIT,
    retentionMs: env.HYDRA_RETENTION,
    logLevel: env.LOG_LEVEL,
  }));

export type DeployConfig = z.output<typeof schema>;

export function loadDeployConfig(env: NodeJS.ProcessEnv = process.env): DeployConfig {
  return loadConfig(schema, env);
}
