import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { databaseName, redact, withDatabase } from "./database-url";

/**
 * Applies prisma/migrations at service start, the way `prisma migrate deploy` does, and into
 * the same `_prisma_migrations` table, so `prisma migrate status` agrees with it.
 *
 * Why not spawn the Prisma CLI: on this machine it spends ~10 s waiting on a timer after it
 * has finished, every start; this takes milliseconds. Like the CLI it holds Postgres
 * advisory lock 72707369 (the CLI's own key), so several services starting at once, or a
 * service and the CLI, apply each migration exactly once. Each migration runs in its own
 * transaction: a failed one leaves nothing behind.
 */
export const MIGRATIONS_DIR = process.env.HYDRA_MIGRATIONS_DIR ?? path.resolve(__dirname, "../../../prisma/migrations");

const PRISMA_MIGRATE_LOCK = 72707369;

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

/** Creates the database named in `url` if it does not exist (races with other starters are fine). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  const admin = new pg.Client({ connectionString: withDatabase(url, "postgres") });
  await admin.connect();
  try {
    const found = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount) return false;
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return true;
  } catch (error) {
    // Another process created it first: 42P04 duplicate_database, or 23505 when both
    // inserted into pg_database at the same moment.
    const code = (error as { code?: string }).code;
    if (code === "42P04" || code === "23505") return false;
    throw error;
  } finally {
    await admin.end();
  }
}

export interface MigrateResult {
  applied: string[];
  total: number;
}

export async function applyMigrations(url: string, dir = MIGRATIONS_DIR): Promise<MigrateResult> {
  const migrations = await readMigrations(dir);
  const client = new pg.Client({ connectionString: url, application_name: "hydra-migrate" });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PRISMA_MIGRATE_LOCK]);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const rows = await client.query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
    }>(`SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"`);
    const recorded = new Map(rows.rows.filter((r) => r.rolled_back_at === null).map((r) => [r.migration_name, r]));
    const applied: string[] = [];
    for (const migration of migrations) {
      const row = recorded.get(migration.name);
      if (row && row.finished_at === null) {
        throw new Error(
          `migration ${migration.name} failed earlier in ${redact(url)} and must be resolved by hand (prisma migrate resolve)`,
        );
      }
      if (row) {
        if (row.checksum !== migration.checksum) {
          throw new Error(
            `migration ${migration.name} was changed after it was applied to ${redact(url)}; add a new migration instead`,
          );
        }
        continue;
      }
      await applyOne(client, migration);
      applied.push(migration.name);
    }
    return { applied, total: migrations.length };
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [PRISMA_MIGRATE_LOCK]).catch(() => {});
    await client.end();
  }
}

async function applyOne(client: pg.Client, migration: Migration): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query(migration.sql);
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, now(), $3, now(), 1)`,
      [randomUUID(), migration.checksum, migration.name],
    );
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
  }
}
