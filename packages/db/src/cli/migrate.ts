// `pnpm migrate`: create the database if needed and apply pending migrations.
import { redact } from "../database-url";
import { applyMigrations, ensureDatabase } from "../migrate";

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/hydra";
  const created = await ensureDatabase(url);
  const result = await applyMigrations(url);
  console.log(
    `${redact(url)}: ${created ? "created, " : ""}${result.applied.length} migration(s) applied, ${result.total} in all`,
  );
}

main().catch((error: Error) => {
  console.error(`migrate failed: ${error.message}`);
  process.exit(1);
});
