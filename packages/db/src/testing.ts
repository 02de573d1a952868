import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { withDatabase } from "./database-url";
import { applyMigrations, readMigrations } from "./migrate";

/**
 * Test databases: each test file gets its own database, cloned from a migrated template
 * (`CREATE DATABASE … TEMPLATE`, a file copy: tens of milliseconds), so files run in parallel
 * and rerun without cleanup.
 */
export const TEST_SERVER_URL = process.env.HYDRA_TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const TEMPLATE_PREFIX = "hydra_test_tpl_";
const TEST_DATABASE_PREFIX = "hydra_t_";
/** Test databases older than this are left over from killed runs and dropped. */
const STALE_AFTER_S = 3 * 60 * 60;

/** `_` is a wildcard in LIKE: match it literally. */
function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => `\\${c}`);
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(TEST_SERVER_URL, "postgres") });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The template for the current migrations: its name carries their checksum. */
export async function templateName(): Promise<string> {
  const hash = createHash("sha256");
  for (const m of await readMigrations()) hash.update(`${m.name}:${m.checksum}\n`);
  return `${TEMPLATE_PREFIX}${hash.digest("hex").slice(0, 12)}`;
}

/**
 * Makes sure the template for the current migrations exists (built once, under an advisory
 * lock, so concurrent runs agree), and drops test databases of runs that died long ago.
 * Runs by other engineers on the same server are left alone.
 */
export async function prepareTestTemplate(): Promise<string> {
  const template = await templateName();
  await withAdmin(async (admin) => {
    await admin.query("SELECT pg_advisory_lock(hashtext('hydra_test_template'))");
    try {
      const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [template]);
      if (!exists.rowCount) {
        const building = `${template}_building`;
        await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(building)} WITH (FORCE)`);
        await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(building)}`);
        await applyMigrations(withDatabase(TEST_SERVER_URL, building));
        await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(building)} RENAME TO ${pg.escapeIdentifier(template)}`);
      }
      const now = Math.floor(Date.now() / 1000);
      const old = await admin.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE (datname LIKE $1 AND datname <> $2) OR datname LIKE $3`,
        [`${likePrefix(TEMPLATE_PREFIX)}%`, template, `${likePrefix(TEST_DATABASE_PREFIX)}%`],
      );
      for (const { datname } of old.rows) {
        const created = Number(/_(\d{10})_[0-9a-f]{8}$/.exec(datname)?.[1] ?? 0);
        // Other templates belong to other checkouts (other migrations) that may be cloning from
        // them right now: they are left alone (a template is a few MB).
        if (datname.startsWith(TEMPLATE_PREFIX)) continue;
        if (now - created > STALE_AFTER_S) {
          await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)}`).catch(() => {
            // In use by a run still going: leave it.
          });
        }
      }
    } finally {
      await admin.query("SELECT pg_advisory_unlock(hashtext('hydra_test_template'))");
    }
  });
  return template;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(label = "db"): Promise<TestDatabase> {
  const safeLabel = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .slice(0, 24);
  const created = Math.floor(Date.now() / 1000);
  const name = `${TEST_DATABASE_PREFIX}${safeLabel}_${created}_${randomBytes(4).toString("hex")}`;
  const template = await templateName();
  await withAdmin((admin) =>
    admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(template)}`),
  );
  return {
    name,
    url: withDatabase(TEST_SERVER_URL, name),
    drop: () =>
      withAdmin(async (admin) => {
        await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      }),
  };
}
