import { timingSafeEqual } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "./logger";
import type { RpcMetrics } from "./metrics";
import { toConnectError } from "./errors";

const HEALTH_SERVICE = "grpc.health.v1.Health";

/**
 * Bearer-token auth for every RPC but health (load balancers and probes carry no token).
 * Constant-time comparison so the token cannot be guessed byte by byte from timings.
 */
export function bearerAuth(token: string): Interceptor {
  const expected = Buffer.from(`Bearer ${token}`);
  return (next) => async (req) => {
    if (req.service.typeName === HEALTH_SERVICE) return next(req);
    const given = Buffer.from(req.header.get("authorization") ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ConnectError(
        "missing or invalid bearer token (set Authorization: Bearer <HYDRA_API_TOKEN>)",
        Code.Unauthenticated,
      );
    }
    return next(req);
  };
}

/** Logs each call's outcome, records its metrics, and maps stray errors to Connect codes. */
export function observe(logger: Logger, metrics: RpcMetrics): Interceptor {
  return (next) => async (req) => {
    const started = process.hrtime.bigint();
    const method = `${req.service.typeName}/${req.method.name}`;
    let code = "ok";
    try {
      return await next(req);
    } catch (thrown) {
      const error = toConnectError(thrown);
      code = Code[error.code] ?? String(error.code);
      if (error.code === Code.Internal || error.code === Code.Unknown) {
        logger.error({ err: thrown, method }, "rpc failed");
      } else {
        logger.info({ method, code, message: error.rawMessage }, "rpc rejected");
      }
      throw error;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observe(method, code, seconds);
    }
  };
}
