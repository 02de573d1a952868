import type { ProjectLockOptions } from "./lock";

/** Parses "5s", "250ms", "2m", "1h" or a bare number of milliseconds. */
export function parseDurationMs(value: string, name: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!match) throw new Error(`${name}="${value}" is not a duration (e.g. 5s, 250ms, 2m)`);
  const scale = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"] ?? 1;
  return Math.round(Number(match[1]) * scale);
}

export interface RoutingEnv {
  lock: ProjectLockOptions;
  defaultDomain: string | undefined;
}

/**
 * Routing settings from the environment: REDIS_URLS (comma separated, default
 * redis://127.0.0.1:6379), HYDRA_ROUTING_LOCK_WAIT (default 5s), HYDRA_ROUTING_LOCK_TTL
 * (lease, default 10s, extended while held), HYDRA_DEFAULT_DOMAIN.
 */
export function routingEnv(env: NodeJS.ProcessEnv = process.env): RoutingEnv {
  const redisUrls = (env.REDIS_URLS ?? "redis://127.0.0.1:6379")
    .split(",")
    .map((url) => url.trim())
    .filter(Boolean);
  if (redisUrls.length === 0) throw new Error("REDIS_URLS is empty");
  return {
    lock: {
      redisUrls,
      waitMs: env.HYDRA_ROUTING_LOCK_WAIT ? parseDurationMs(env.HYDRA_ROUTING_LOCK_WAIT, "HYDRA_ROUTING_LOCK_WAIT") : 5_000,
      ttlMs: env.HYDRA_ROUTING_LOCK_TTL ? parseDurationMs(env.HYDRA_ROUTING_LOCK_TTL, "HYDRA_ROUTING_LOCK_TTL") : 10_000,
      keyPrefix: env.HYDRA_ROUTING_LOCK_PREFIX ?? "",
    },
    defaultDomain: env.HYDRA_DEFAULT_DOMAIN || undefined,
  };
}
