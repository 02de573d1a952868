import { Code, type ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { RoutingService } from "@hydra/proto/hydra/v1";
import { type RouteStreamOptions, type RoutingCore, RoutingError, watchRoutes } from "@hydra/routing";
import { codedConnectError, toConnectError as serverKitConnectError } from "@hydra/server-kit";

/** The part of a pino logger (server-kit's Logger) this service uses. */
export interface RoutingLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * A RoutingError becomes its Connect code; anything else goes through server-kit's mapping
 * (infrastructure failures → `unavailable`, the rest `internal`) and is logged.
 */
export function toConnectError(error: unknown, logger: RoutingLogger, fields: Record<string, unknown>): ConnectError {
  // server-kit's interceptor logs every rejection with its code and message; only the
  // unexpected ones get their stack logged here.
  if (error instanceof RoutingError) return codedConnectError(error);
  const mapped = serverKitConnectError(error);
  const log = mapped.code === Code.Internal ? logger.error : logger.warn;
  log.call(
    logger,
    {
      ...fields,
      code: Code[mapped.code],
      err: error instanceof Error ? (error.stack ?? error.message) : String(error),
    },
    "routing call failed",
  );
  return mapped;
}

/** hydra.v1.RoutingService over the routing core: validation and the work are the core's. */
export function createRoutingService(
  core: RoutingCore,
  routeStream: RouteStreamOptions,
  logger: RoutingLogger,
): ServiceImpl<typeof RoutingService> {
  return {
    async assignDomains(request) {
      const fields = {
        rpc: "AssignDomains",
        project_id: request.projectId,
        deployment_id: request.deploymentId,
        idempotency_key: request.idempotencyKey,
        domains: request.domains.length,
      };
      try {
        const response = await core.assignDomains(request);
        logger.info(
          {
            ...fields,
            routing_generation: response.routingGeneration.toString(),
            changed: response.changedDomainNames.length,
          },
          "domains assigned",
        );
        return response;
      } catch (error) {
        throw toConnectError(error, logger, fields);
      }
    },
    async switchDomains(request) {
      const fields = {
        rpc: "SwitchDomains",
        deployment_id: request.targetDeploymentId,
        idempotency_key: request.idempotencyKey,
        domains: request.domainIds.length,
        set_live: request.setLive,
      };
      try {
        const response = await core.switchDomains(request);
        logger.info(
          {
            ...fields,
            routing_generation: response.routingGeneration.toString(),
            switched: response.switchedDomainNames.length,
          },
          "domains switched",
        );
        return response;
      } catch (error) {
        throw toConnectError(error, logger, fields);
      }
    },
    async *watchRoutes(request, context) {
      const fields = { rpc: "WatchRoutes", region: request.region, after_position: request.afterPosition.toString() };
      logger.info(fields, "route stream opened");
      try {
        yield* watchRoutes(
          routeStream,
          { region: request.region, afterPosition: request.afterPosition },
          context.signal,
        );
      } catch (error) {
        if (context.signal.aborted) return;
        throw toConnectError(error, logger, fields);
      }
    },
  };
}
