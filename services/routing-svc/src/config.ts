import { z } from "zod";
import {
  duration,
  listenAddress,
  loadConfig,
  logLevel,
  optionalSecret,
  postgresUrl,
  redisUrls,
} from "@hydra/server-kit";

/** routing-svc's configuration (SPEC §1), from the environment, with its defaults. */
const schema = z
  .object({
    ROUTING_SVC_ADDR: listenAddress.default({ host: "127.0.0.1", port: 7002 }),
    DATABASE_URL: postgresUrl.default("postgresql://postgres@127.0.0.1:5432/hydra"),
    REDIS_URLS: redisUrls.default(["redis://127.0.0.1:6379"]),
    HYDRA_API_TOKEN: optionalSecret,
    HYDRA_ROUTING_LOCK_WAIT: duration.default(5_000),
    // Lease of the project lock; extended while held, so it only bounds how long a dead holder blocks.
    HYDRA_ROUTING_LOCK_TTL: duration.default(3_000),
    HYDRA_DEFAULT_DOMAIN: z.string().default("hydra.run"),
    // Route changes kept for WatchRoutes watchers to resume from; one further behind gets a snapshot.
    HYDRA_ROUTE_HISTORY: z.coerce.number().int().positive().default(100_000),
    // Stored answers to idempotency keys: longer than any caller retries a key (0 keeps them forever).
    HYDRA_ROUTING_OPERATIONS_RETENTION: duration.default(90 * 24 * 3_600_000),
    HYDRA_MAX_REQUEST_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024),
    LOG_LEVEL: logLevel.default("info"),
  })
  .transform((env) => ({
    address: env.ROUTING_SVC_ADDR,
    databaseUrl: env.DATABASE_URL,
    redisUrls: env.REDIS_URLS,
    apiToken: env.HYDRA_API_TOKEN,
    lockWaitMs: env.HYDRA_ROUTING_LOCK_WAIT,
    lockTtlMs: env.HYDRA_ROUTING_LOCK_TTL,
    defaultDomain: env.HYDRA_DEFAULT_DOMAIN.toLowerCase(),
    maxRequestBytes: env.HYDRA_MAX_REQUEST_BYTES,
    routeHistory: env.HYDRA_ROUTE_HISTORY,
    operationsRetentionMs: env.HYDRA_ROUTING_OPERATIONS_RETENTION,
    logLevel: env.LOG_LEVEL,
  }));

export type RoutingConfig = z.output<typeof schema>;

export function loadRoutingConfig(env: NodeJS.ProcessEnv = process.env): RoutingConfig {
  return loadConfig(schema, env);
}
