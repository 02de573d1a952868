import Redis from "ioredis";
import pg from "pg";
import { redact } from "@hydra/db";

/**
 * Start-up checks that turn "ECONNREFUSED" into what to do about it. Each has a deadline.
 */
export class PreflightError extends Error {
  override name = "PreflightError";
}

const START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";
const START_REDIS = 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no';

export async function checkPostgres(url: string, timeoutMs = 5_000): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    const reason = (error as Error).message || String(error);
    throw new PreflightError(`cannot reach PostgreSQL at ${redact(url)}: ${reason}. Start it with: ${START_POSTGRES}`);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function checkRedis(urls: string[], timeoutMs = 3_000): Promise<void> {
  const failures: string[] = [];
  await Promise.all(
    urls.map(async (url) => {
      const redis = new Redis(url, {
        lazyConnect: true,
        connectTimeout: timeoutMs,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      redis.on("error", () => {});
      try {
        await redis.connect();
        await redis.ping();
      } catch (error) {
        failures.push(`${redactRedis(url)}: ${(error as Error).message || String(error)}`);
      } finally {
        redis.disconnect();
      }
    }),
  );
  if (failures.length) {
    throw new PreflightError(`cannot reach Redis (${failures.join("; ")}). Start it with: ${START_REDIS}`);
  }
}

function redactRedis(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}
