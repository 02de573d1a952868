import type { ServiceImpl } from "@connectrpc/connect";
import type { Pool } from "@hydra/db";
import type { RoutingService } from "@hydra/proto/hydra/v1";
import { ProjectLock, RoutingCore } from "@hydra/routing";
import { createRoutingService, type RoutingLogger } from "./routing-service";

export interface RoutingRuntimeOptions {
  pool: Pool;
  logger: RoutingLogger;
  /** REDIS_URLS: the Redlock quorum. */
  redisUrls: string[];
  /** HYDRA_ROUTING_LOCK_WAIT */
  lockWaitMs: number;
  /** HYDRA_ROUTING_LOCK_TTL */
  lockTtlMs?: number;
  /** HYDRA_DEFAULT_DOMAIN */
  defaultDomain?: string;
}

export interface RoutingRuntime {
  core: RoutingCore;
  service: ServiceImpl<typeof RoutingService>;
  /** Closes the Redis clients (after the server stopped taking calls; the pool is the caller's). */
  close(): Promise<void>;
}

/**
 * Everything routing-svc serves, built from its configuration. main.ts wiring:
 *   const routing = createRoutingRuntime({ pool, logger, redisUrls: config.redisUrls,
 *     lockWaitMs: config.lockWaitMs, lockTtlMs: config.lockTtlMs, defaultDomain: config.defaultDomain });
 *   routes: (router) => router.service(RoutingService, routing.service)
 *   on shutdown: await server.close(); await routing.close(); await pool.end();
 */
export function createRoutingRuntime(options: RoutingRuntimeOptions): RoutingRuntime {
  const lock = new ProjectLock({ redisUrls: options.redisUrls, waitMs: options.lockWaitMs, ttlMs: options.lockTtlMs });
  const core = new RoutingCore({ pool: options.pool, lock, defaultDomain: options.defaultDomain });
  return {
    core,
    service: createRoutingService(core, options.logger),
    close: () => lock.close(),
  };
}
