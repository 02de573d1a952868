import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..");

let db: TestDatabase;
let sql: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase("runs_cli");
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(
    `INSERT INTO workflow_runs (id, kind, key, input, input_hash, status, error, epoch)
     VALUES ('deploy:dep_stuck', 'deploy', 'prj_x', '{}', 'h', 'paused', 'step assign-routes failed after 20 attempt(s)', 3),
            ('deploy:dep_done', 'deploy', 'prj_x', '{}', 'h', 'completed', NULL, 1)`,
  );
});

afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

async function runs(...args: string[]): Promise<{ stdout: string; code: number; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--require", "tsx/cjs", "scripts/runs.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: db.url },
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

it("lists paused runs, resumes one, and refuses what is not paused", async () => {
  const listed = await runs("list", "paused");
  expect(listed.code).toBe(0);
  expect(
    listed.stdout
      .trim()
      .split("\n")
      .map((l) => l.split("\t")[0]),
  ).toEqual(["deploy:dep_stuck"]);

  expect((await runs("resume", "deploy:dep_stuck")).stdout).toContain("resumed deploy:dep_stuck");
  const { rows } = await sql.query("SELECT status::text AS status FROM workflow_runs WHERE id = 'deploy:dep_stuck'");
  expect(rows[0].status).toBe("pending");

  const refused = await runs("resume", "deploy:dep_done");
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("is not paused");
  expect((await runs("list", "bogus")).stderr).toContain('unknown status "bogus"');
}, 60_000);
