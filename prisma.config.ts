// Prisma CLI configuration. Prisma 6.19.3 with `engine: "js"` runs the wasm schema engine
// through @prisma/adapter-pg, so every CLI command works offline (Prisma 7 downloads a
// native schema-engine binary for migrate and cannot run here). See README "Why Prisma 6".
import { randomUUID } from "node:crypto";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

// Without DATABASE_URL, Prisma 6 falls back to downloading a native query engine.
process.env.DATABASE_URL ??= "postgresql://postgres@127.0.0.1:5432/hydra";

// adapter-pg 6.19.3 with the wasm schema engine needs three fixes:
//  1. catalog columns of type "char" (oid 18) and name (oid 19) are not mapped
//     (prisma/prisma#27403): present them as text (oid 25);
//  2. its shadow connection spreads {database} over a connectionString, which wins, so the
//     "shadow" database is the main one: connect with discrete fields instead;
//  3. it drops the shadow database before closing the shadow pool: close first.
const CATALOG_OIDS_AS_TEXT = new Map([
  [18, 25],
  [19, 25],
]);

interface PgField {
  dataTypeID: number;
}
interface IOResult {
  fields?: PgField[];
}
interface PatchableQueryable {
  performIO(query: unknown): Promise<IOResult>;
  startTransaction?(...args: unknown[]): Promise<PatchableQueryable>;
  dispose?(): Promise<void>;
  executeScript?(script: string): Promise<void>;
}

function withCatalogTypesAsText<T>(queryable: T): T {
  const q = queryable as unknown as PatchableQueryable;
  const performIO = q.performIO.bind(q);
  q.performIO = async (query) => {
    const result = await performIO(query);
    for (const field of result?.fields ?? []) {
      field.dataTypeID = CATALOG_OIDS_AS_TEXT.get(field.dataTypeID) ?? field.dataTypeID;
    }
    return result;
  };
  const startTransaction = q.startTransaction?.bind(q);
  if (startTransaction) {
    q.startTransaction = async (...args) => withCatalogTypesAsText(await startTransaction(...args));
  }
  return queryable;
}

function connectionFields(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
    // The CLI does not always close its pools; let the process exit when they are idle.
    allowExitOnIdle: true,
    idleTimeoutMillis: 50,
  };
}

function migrationAdapter(url: string) {
  const fields = connectionFields(url);
  const base = new PrismaPg(fields);
  return {
    provider: "postgres" as const,
    adapterName: base.adapterName,
    connect: async () => withCatalogTypesAsText(await base.connect()),
    connectToShadowDb: async () => {
      const main = await base.connect();
      const shadowName = `prisma_shadow_${randomUUID().replace(/-/g, "")}`;
      await main.executeScript(`CREATE DATABASE "${shadowName}"`);
      const shadow = withCatalogTypesAsText(await new PrismaPg({ ...fields, database: shadowName }).connect());
      const disposeShadow = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        await disposeShadow();
        await main.executeScript(`DROP DATABASE IF EXISTS "${shadowName}" WITH (FORCE)`);
        await main.dispose();
      };
      return shadow;
    },
  };
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () => migrationAdapter(process.env.DATABASE_URL!),
});
