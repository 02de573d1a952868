import pg from "pg";
import { createTestDatabase, TEST_SERVER_URL } from "./testing";
import { withDatabase } from "./database-url";
import { applyMigrations, ensureDatabase, readMigrations } from "./migrate";
import { randomBytes } from "node:crypto";
import { createPool } from "./pool";
import { createPrisma } from "./prisma";

async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabase(TEST_SERVER_URL, "postgres") });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  await admin.end();
}

describe("migrations", () => {
  it("a cloned test database has every migration recorded, with Prisma's checksums", async () => {
    const db = await createTestDatabase("migrate");
    try {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const rows = await client.query<{ migration_name: string; checksum: string }>(
        `SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name`,
      );
      await client.end();
      const expected = await readMigrations();
      expect(rows.rows.map((r) => [r.migration_name, r.checksum])).toEqual(expected.map((m) => [m.name, m.checksum]));
      expect(await applyMigrations(db.url)).toEqual({ applied: [], total: expected.length });
    } finally {
      await db.drop();
    }
  });

  it("creates a missing database, and several starters at once apply each migration once", async () => {
    const name = `hydra_t_fresh_${randomBytes(4).toString("hex")}`;
    const url = withDatabase(TEST_SERVER_URL, name);
    try {
      const created = await Promise.all([ensureDatabase(url), ensureDatabase(url), ensureDatabase(url)]);
      expect(created.filter(Boolean)).toHaveLength(1);
      const results = await Promise.all([applyMigrations(url), applyMigrations(url), applyMigrations(url)]);
      const total = (await readMigrations()).length;
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, total]);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const count = await client.query(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
      await client.end();
      expect(count.rows[0].n).toBe(total);
    } finally {
      await dropDatabase(name);
    }
  });
});

describe("pools", () => {
  it("parse BIGINT as bigint on our pools, and Prisma on the same pool still works", async () => {
    const db = await createTestDatabase("pool");
    const pool = createPool(db.url);
    try {
      const res = await pool.query<{ n: bigint }>("SELECT 9007199254740993::bigint AS n");
      expect(res.rows[0]!.n).toBe(9007199254740993n);
      const prisma = createPrisma(pool);
      await prisma.workspace.create({ data: { id: "ws_01h455vb4pex5vsknk084sn02q", name: "W", slug: "w" } });
      await prisma.project.create({
        data: {
          id: "prj_01h455vb4pex5vsknk084sn02q",
          workspaceId: "ws_01h455vb4pex5vsknk084sn02q",
          name: "P",
          slug: "p",
        },
      });
      const project = await prisma.project.findUniqueOrThrow({ where: { id: "prj_01h455vb4pex5vsknk084sn02q" } });
      expect(project.routingGeneration).toBe(0n);
    } finally {
      await pool.end();
      await db.drop();
    }
  });
});
