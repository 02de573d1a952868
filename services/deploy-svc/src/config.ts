import { z } from "zod";
import { duration, httpUrl, listenAddress, loadConfig, logLevel, optionalSecret, postgresUrl } from "@hydra/server-kit";

/** deploy-svc's configuration (SPEC §1), from the environment, with its defaults. */
const schema = z
  .object({
    DEPLOY_SVC_ADDR: listenAddress.default({ host: "127.0.0.1", port: 7001 }),
    ROUTING_SVC_URL: httpUrl.default("http://127.0.0.1:7002"),
    DATABASE_URL: postgresUrl.default("postgresql://postgres@127.0.0.1:5432/hydra"),
    HYDRA_API_TOKEN: optionalSecret,
    HYDRA_CLUSTER_DRIVER: z.enum(["kubernetes", "simulated"]).optional(),
    HYDRA_CLUSTERS: z.string().optional(),
    HYDRA_SIMULATED_READY_MS: duration.default(50),
    HYDRA_SIMULATED_REGIONS: z.string().default("local"),
    HYDRA_READY_TIMEOUT: duration.default(15 * 60_000),
    HYDRA_STANDBY_DELAY: duration.default(30 * 60_000),
    HYDRA_DEFAULT_DOMAIN: z.string().default("hydra.run"),
    DEPOT_TOKEN: optionalSecret,
    HYDRA_MAX_REQUEST_BYTES: z.coerce.number().int().positive().default(4 * 1024 * 1024),
    LOG_LEVEL: logLevel.default("info"),
  })
  .transform((env) => ({
    address: env.DEPLOY_SVC_ADDR,
    routingServiceUrl: env.ROUTING_SVC_URL,
    databaseUrl: env.DATABASE_URL,
    apiToken: env.HYDRA_API_TOKEN,
    // Without clusters configured, local runs use the simulated driver (SPEC §1).
    clusterDriver: env.HYDRA_CLUSTER_DRIVER ?? (env.HYDRA_CLUSTERS ? "kubernetes" : "simulated"),
    clusters: env.HYDRA_CLUSTERS,
    simulatedReadyMs: env.HYDRA_SIMULATED_READY_MS,
    simulatedRegions: env.HYDRA_SIMULATED_REGIONS.split(",").map((r) => r.trim()).filter(Boolean),
    readyTimeoutMs: env.HYDRA_READY_TIMEOUT,
    standbyDelayMs: env.HYDRA_STANDBY_DELAY,
    defaultDomain: env.HYDRA_DEFAULT_DOMAIN.toLowerCase(),
    depotToken: env.DEPOT_TOKEN,
    maxRequestBytes: env.HYDRA_MAX_REQUEST_BYTES,
    logLevel: env.LOG_LEVEL,
  }));

export type DeployConfig = z.output<typeof schema>;

export function loadDeployConfig(env: NodeJS.ProcessEnv = process.env): DeployConfig {
  return loadConfig(schema, env);
}
