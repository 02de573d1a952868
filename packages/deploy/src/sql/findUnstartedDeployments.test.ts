import { createPool, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { findUnstartedDeployments } from "./findUnstartedDeployments";

let database: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  database = await createTestDatabase("unstarted_scan");
  pool = createPool(database.url, { max: 1 });
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

// The scan runs every minute on every instance; it must not read every deployment ever made.
it("finds pending deployments through the (status, sequence) index, not a scan of all deployments", async () => {
  const client = await pool.connect();
  try {
    // The scan's own statement, captured rather than copied.
    let statement: { text: string; values: unknown[] } | undefined;
    await findUnstartedDeployments({
      query: (async (config: { text: string; values: unknown[] }) => {
        statement = config;
        return { rows: [] };
      }) as unknown as Pool["query"],
    });
    await client.query("SET enable_seqscan = off");
    const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${statement!.text}`, statement!.values);
    expect(rows.map((r) => r["QUERY PLAN"]).join("\n")).toContain("deployments_status_sequence_idx");
  } finally {
    client.release();
  }
});
