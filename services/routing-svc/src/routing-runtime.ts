import type { ServiceImpl } from "@connectrpc/connect";
import type { Pool } from "@hydra/db";
import type { RoutingService } from "@hydra/proto/hydra/v1";
import { deleteInBatches, retentionCutoff } from "@hydra/db";
import {
  deleteExpiredOperations,
  ProjectLock,
  pruneRouteHistory,
  RouteChangeWakeups,
  RouteSequencer,
  RoutingCore,
} from "@hydra/routing";
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
  /** HYDRA_ROUTE_HISTORY: route changes kept for resuming watchers (older ones resume from a snapshot). */
  routeHistory?: number;
  /** HYDRA_ROUTING_OPERATIONS_RETENTION: how long idempotent answers are kept (0: forever). */
  operationsRetentionMs?: number;
}

export interface RoutingRuntime {
  core: RoutingCore;
  service: ServiceImpl<typeof RoutingService>;
  /** Starts listening for route changes (before serving WatchRoutes). */
  start(): Promise<void>;
  /** Closes the Redis clients and the route listener (after the server stopped taking calls; the pool is the caller's). */
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
  const wakeups = new RouteChangeWakeups(options.pool, (error) =>
    options.logger.warn({ err: error.message }, "route change listener lost its connection"),
  );
  const routeStream = {
    pool: options.pool,
    wakeups,
    sequencer: new RouteSequencer(options.pool),
    isLocal: (hostname: string) => core.isLocal(hostname),
  };
  const routeHistory = options.routeHistory ?? 100_000;
  let pruneTimer: NodeJS.Timeout | undefined;
  return {
    core,
    service: createRoutingService(core, routeStream, options.logger),
    async start() {
      await wakeups.start();
      pruneTimer = setInterval(() => {
        pruneRouteHistory(options.pool, routeHistory).catch((error: Error) =>
          options.logger.warn({ err: error.message }, "route history not pruned"),
        );
        const cutoff = retentionCutoff(options.operationsRetentionMs ?? 0);
        if (cutoff) {
          deleteInBatches((limit) => deleteExpiredOperations(options.pool, cutoff, limit)).catch((error: Error) =>
            options.logger.warn({ err: error.message }, "routing operations not pruned"),
          );
        }
      }, 60_000);
      pruneTimer.unref();
    },
    async close() {
      clearInterval(pruneTimer);
      await wakeups.stop();
      await lock.close();
    },
  };
}
