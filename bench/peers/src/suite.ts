// `pnpm bench peers` (issue 13): hydra's workflow engine beside DBOS Transact and Restate, one
// engine after the other, the same PostgreSQL (fsync as configured: reported), the same
// workload — a workflow of 10 no-op steps, started and awaited by id:
//  - c1: workflows one at a time: workflows/s and start → completed p50/p99;
//  - per step ÷ bare INSERT: (c1 p50 / 10) over a bare single-row INSERT round trip p50, measured
//    in this run on the same server;
//  - c32: 32 workflows at a time: workflows/s;
//  - kill -9 → workflow done: the process running a workflow is killed in its step 5; median of 3.
// Printed as figures and as the README's markdown table (on stderr).
import { randomBytes } from "node:crypto";
import { applyMigrations, createPool, withDatabase } from "@hydra/db";
import pg from "pg";
import { type BenchSuite, type Figure, percentile, round } from "../../report";
import { dbosRecoveryMs, startDbos } from "./dbos";
import { hydraRecoveryMs, startHydra } from "./hydra";
import { freePort, restateRecoveryMs, startRestate, startRestateServer } from "./restate";
import { median, measure, STEPS, type Peer, type Throughput } from "./workload";

const SERVER_URL = process.env.HYDRA_BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const C1_WORKFLOWS = Number(process.env.HYDRA_BENCH_PEERS_C1 ?? 300);
const C32_WORKFLOWS = Number(process.env.HYDRA_BENCH_PEERS_C32 ?? 1_000);
const WARMUP = 30;
const RECOVERY_TRIALS = 3;

interface Row {
  engine: string;
  c1: Throughput;
  c32: Throughput;
  recoveryMs: number[];
}

async function admin<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function bareInsertP50Us(url: string): Promise<number> {
  const pool = createPool(url, { max: 1 });
  try {
    await pool.query("CREATE TABLE IF NOT EXISTS peers_baseline (id text PRIMARY KEY, payload jsonb)");
    const samples: number[] = [];
    for (let i = 0; i < 500; i++) {
      const t0 = performance.now();
      await pool.query("INSERT INTO peers_baseline (id, payload) VALUES ($1, $2::jsonb)", [
        `${randomBytes(8).toString("hex")}`,
        "null",
      ]);
      samples.push((performance.now() - t0) * 1e3);
    }
    return percentile(samples, 50);
  } finally {
    await pool.end();
  }
}

async function throughput(
  start: (concurrency: number) => Promise<Peer>,
  label: string,
): Promise<{ c1: Throughput; c32: Throughput }> {
  const one = await start(1);
  let c1: Throughput;
  try {
    await measure(one, `${label}-warm1`, WARMUP, 1);
    c1 = await measure(one, `${label}-c1`, C1_WORKFLOWS, 1);
  } finally {
    await one.stop();
  }
  const many = await start(32);
  try {
    await measure(many, `${label}-warm32`, WARMUP, 32);
    return { c1, c32: await measure(many, `${label}-c32`, C32_WORKFLOWS, 32) };
  } finally {
    await many.stop();
  }
}

/** A peer used for both rounds: stopped once, by its owner. */
function shared(peer: Peer): Peer {
  return { name: peer.name, runWorkflow: (id) => peer.runWorkflow(id), stop: async () => {} };
}

async function trials(trial: (i: number) => Promise<number>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < RECOVERY_TRIALS; i++) samples.push(await trial(i));
  return samples;
}

async function run(): Promise<Figure[]> {
  const suffix = randomBytes(4).toString("hex");
  const hydraDb = `hydra_bench_peers_${suffix}`;
  const dbosDb = `hydra_bench_peers_dbos_${suffix}`;
  await admin(`CREATE DATABASE ${hydraDb}`);
  await admin(`CREATE DATABASE ${dbosDb}`);
  const hydraUrl = withDatabase(SERVER_URL, hydraDb);
  const dbosUrl = withDatabase(SERVER_URL, dbosDb);
  const rows: Row[] = [];
  try {
    const fsync = (await admin<{ fsync: string }>("SHOW fsync"))[0]?.fsync ?? "?";
    await applyMigrations(hydraUrl);
    const insertBefore = await bareInsertP50Us(hydraUrl);

    const hydra = await throughput((c) => startHydra(hydraUrl, c), "hydra");
    rows.push({
      engine: "hydra (packages/workflow)",
      ...hydra,
      recoveryMs: await trials((i) => hydraRecoveryMs(hydraUrl, `hydra-kill-${i}`)),
    });

    // DBOS keeps one executor per process: c1 and c32 share it (its concurrency is the caller's).
    const dbosPeer = await startDbos(dbosUrl);
    const dbos = await throughput(async () => shared(dbosPeer), "dbos").finally(() => dbosPeer.stop());
    rows.push({
      engine: "DBOS Transact 5.3.0",
      ...dbos,
      recoveryMs: await trials((i) => dbosRecoveryMs(dbosUrl, `dbos-kill-${i}`)),
    });

    const server = await startRestateServer();
    try {
      const restatePeer = await startRestate(server);
      const restateFigures = await throughput(async () => shared(restatePeer), "restate");
      const port = await freePort();
      const recovery = await trials((i) => restateRecoveryMs(server, `restate-kill-${i}`, port, i > 0));
      rows.push({ engine: "Restate 1.7.12 (+ SDK 1.17.2)", ...restateFigures, recoveryMs: recovery });
    } finally {
      await server.stop();
    }

    const insertAfter = await bareInsertP50Us(hydraUrl);
    const insertUs = (insertBefore + insertAfter) / 2;
    printTable(rows, insertUs, fsync);
    return figures(rows, insertUs, fsync);
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${hydraDb} WITH (FORCE)`);
    await admin(`DROP DATABASE IF EXISTS ${dbosDb} WITH (FORCE)`);
  }
}

function stepRatio(row: Row, insertUs: number): number {
  return (row.c1.p50Ms * 1e3) / STEPS / insertUs;
}

function slug(engine: string): string {
  return engine.split(" ")[0]!.toLowerCase();
}

function figures(rows: Row[], insertUs: number, fsync: string): Figure[] {
  const out: Figure[] = [
    {
      name: "peers.baseline_insert_p50_us",
      value: round(insertUs, 0),
      unit: "us",
      baseline: `bare single-row INSERT, same server (fsync ${fsync}), before and after`,
    },
  ];
  for (const row of rows) {
    const name = slug(row.engine);
    out.push(
      {
        name: `peers.${name}.c1_per_s`,
        value: round(row.c1.workflowsPerS, 1),
        unit: "1/s",
        baseline: `${C1_WORKFLOWS} workflows × ${STEPS} no-op steps, one at a time`,
      },
      { name: `peers.${name}.c1_p50_ms`, value: round(row.c1.p50Ms, 1), unit: "ms", baseline: "start → completed" },
      { name: `peers.${name}.c1_p99_ms`, value: round(row.c1.p99Ms, 1), unit: "ms", baseline: "start → completed" },
      {
        name: `peers.${name}.step_ratio`,
        value: round(stepRatio(row, insertUs), 1),
        unit: "x",
        baseline: "(c1 p50 / 10 steps) ÷ bare INSERT p50",
      },
      {
        name: `peers.${name}.c32_per_s`,
        value: round(row.c32.workflowsPerS, 1),
        unit: "1/s",
        baseline: `${C32_WORKFLOWS} workflows, 32 at a time`,
      },
      {
        name: `peers.${name}.recovery_ms`,
        value: round(median(row.recoveryMs), 0),
        unit: "ms",
        baseline: `kill -9 in step 5 → workflow done, median of ${RECOVERY_TRIALS} (${row.recoveryMs.map((v) => round(v, 0)).join(", ")})`,
      },
    );
  }
  return out;
}

function printTable(rows: Row[], insertUs: number, fsync: string): void {
  const lines = [
    `bare single-row INSERT p50 ${round(insertUs, 0)} µs (fsync ${fsync}); ${C1_WORKFLOWS} c1 / ${C32_WORKFLOWS} c32 workflows of ${STEPS} no-op steps`,
    "",
    "| engine | c1 workflows/s | c1 p50 / p99 ms | per step ÷ bare INSERT | c32 workflows/s | kill -9 → workflow done (median of 3) |",
    "|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.engine} | ${round(r.c1.workflowsPerS, 0)} | ${round(r.c1.p50Ms, 1)} / ${round(r.c1.p99Ms, 1)} | ${round(stepRatio(r, insertUs), 1)}× | ${round(r.c32.workflowsPerS, 0)} | ${round(median(r.recoveryMs) / 1e3, 2)} s |`,
    ),
  ];
  process.stderr.write(`${lines.join("\n")}\n`);
}

export const suite: BenchSuite = { name: "peers", run };
