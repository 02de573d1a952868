import ms from "ms";
import { z } from "zod";

/**
 * Configuration comes from the environment, is checked once at start, and every problem is
 * reported at once with the variable's name, so a bad deploy fails in one round trip.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** A duration as milliseconds, or with a unit: "250ms", "5s", "15m", "1h". */
export const duration = z.string().transform((value, ctx) => {
  const trimmed = value.trim();
  let parsed: number | undefined;
  try {
    parsed = /^\d+$/.test(trimmed) ? Number(trimmed) : ms(trimmed as ms.StringValue);
  } catch {
    parsed = undefined; // ms() throws on an empty string
  }
  if (typeof parsed !== "number" || !Number.isFinite(parsed) || parsed < 0) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a duration (e.g. 500, 250ms, 5s, 15m)` });
    return z.NEVER;
  }
  return parsed;
});

/** host:port to listen on. */
export const listenAddress = z.string().transform((value, ctx) => {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not host:port (e.g. 127.0.0.1:7001)` });
    return z.NEVER;
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port };
});

export const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL");

export const postgresUrl = z.string().refine((u) => /^postgres(ql)?:\/\//.test(u), "must be a postgresql:// URL");

/** Comma-separated redis:// URLs (one per independent Redis of the Redlock quorum). */
export const redisUrls = z.string().transform((value, ctx) => {
  const urls = value
    .split(",")
    .map((u) => u.trim())
    .filter(Boolean);
  const bad = urls.filter((u) => !/^rediss?:\/\//.test(u));
  if (urls.length === 0 || bad.length) {
    ctx.addIssue({ code: "custom", message: `expected comma-separated redis:// URLs, got "${value}"` });
    return z.NEVER;
  }
  return urls;
});

export const logLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/** An empty string means unset (docker-compose and shells make empty variables easily). */
export const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v ? v : undefined));

export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.join(".") || "environment"}: ${issue.message}`),
  );
}
