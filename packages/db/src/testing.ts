import { randomBytes } from "node:crypto";
import pg from "pg";
import { withDatabase } from "./database-url";
import { applyMigrations } from "./migrate";

/**
 * Test databases: each test file gets its own database, cloned from a migrated template
 * (`CREATE DATABASE … TEMPLATE`, a file copy: tens of milliseconds), so files run in parallel
 * and rerun without cleanup.
 */
export const TEST_SERVER_URL = process.env.HYDRA_TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const TEMPLATE_DATABASE = "hydra_test_template";
const TEST_DATABASE_PREFIX = "hydra_t_";

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(TEST_SERVER_URL, "postgres") });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Rebuilds the template from the migrations and drops test databases left by earlier runs. */
export async function prepareTestTemplate(): Promise<void> {
  await withAdmin(async (admin) => {
    const stale = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2",
      [`${TEST_DATABASE_PREFIX}%`, TEMPLATE_DATABASE],
    );
    for (const { datname } of stale.rows) {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(TEMPLATE_DATABASE)}`);
  });
  await applyMigrations(withDatabase(TEST_SERVER_URL, TEMPLATE_DATABASE));
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(label = "db"): Promise<TestDatabase> {
  const safeLabel = label.toLowerCase().replace(/[^a-z0-9]+/g, "_").slice(0, 30);
  const name = `${TEST_DATABASE_PREFIX}${safeLabel}_${randomBytes(4).toString("hex")}`;
  await withAdmin((admin) =>
    admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(TEMPLATE_DATABASE)}`),
  );
  return {
    name,
    url: withDatabase(TEST_SERVER_URL, name),
    drop: () => withAdmin(async (admin) => {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    }),
  };
}
