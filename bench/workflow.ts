// Workflow engine benchmark (SPEC §5, issue 3). In one run, against the same Postgres:
//  - baseline: a bare single-row INSERT round trip (autocommit, so one commit each, like a checkpoint),
//    timed interleaved with the concurrency-1 workflows (10 INSERTs before each workflow), so both
//    figures see the same machine load (this host is shared; load drifts within seconds);
//  - 1,000 workflows × 10 no-op steps at concurrency 1 and 32: per-step overhead p50/p99 (the time
//    a workflow spends in `await ctx.step(...)` of a step that does nothing: the fenced checkpoint
//    and the engine around it), workflows/s, and the ratio step overhead / baseline at p50;
//  - crash recovery: a worker process holding a run (default 15 s lease) is SIGKILLed; how long
//    until the run has completed on another instance (median and max of several trials; goal
//    < 1 s: its session lock is released with its connection, issue 13);
//  - lease recovery: a worker process holding a run is paused (SIGSTOP: alive, lock held); how
//    long until another instance runs the run's step again, as a multiple of the lease TTL (goal ≤ 2).
// Scratch database created and dropped here. HYDRA_BENCH_DATABASE_URL picks the server.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { applyMigrations, createPool, type Pool, withDatabase } from "@hydra/db";
import pg from "pg";
import { createEngine, defineWorkflow, type Logger, type StepEvent } from "../packages/workflow/src";
import { type BenchSuite, type Figure, percentile, round } from "./report";

const SERVER_URL = process.env.HYDRA_BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const WORKFLOWS = Number(process.env.HYDRA_BENCH_WORKFLOWS ?? 1_000);
const STEPS = 10;
const LEASE_TTL_MS = 1_000;
const DEFAULT_LEASE_MS = 15_000;
const RECOVERY_TRIALS = 3;
const CRASH_TRIALS = 7;
const CHILD_ENV = "HYDRA_BENCH_WORKFLOW_CHILD_DB";
const quiet = () => {};
const silent: Logger = { debug: quiet, info: quiet, warn: quiet, error: quiet };

function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1e3;
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

type Baseline = (count: number, samples: number[]) => Promise<void>;

/** Bare INSERTs on their own connection: each call adds `count` samples. */
function baselineInserter(pool: Pool): Baseline {
  let row = 0;
  return async (count, samples) => {
    for (let i = 0; i < count; i++) {
      const start = nowUs();
      await pool.query("INSERT INTO bench_baseline (id, payload) VALUES ($1, $2::jsonb)", [`row-${row++}`, "null"]);
      samples.push(nowUs() - start);
    }
  };
}

interface Round {
  stepUs: number[];
  baselineUs: number[];
  workflowsPerS: number;
}

async function workflowRound(url: string, concurrency: number, label: string, baseline?: Baseline): Promise<Round> {
  const pool = createPool(url, { max: concurrency + 8, applicationName: `bench-${label}` });
  const stepUs: number[] = [];
  const noop = defineWorkflow(`noop-${label}`, async (ctx) => {
    for (let i = 0; i < STEPS; i++) {
      const start = nowUs();
      await ctx.step(`step-${i}`, () => null);
      stepUs.push(nowUs() - start);
    }
    return null;
  });
  const engine = createEngine({ pool, concurrency, logger: silent }).register(noop);
  await engine.start();
  try {
    // Warm-up: prepared statements on every connection, JIT.
    const warmSamples: number[] = [];
    await runMany(
      engine,
      `noop-${label}`,
      `warm-${label}`,
      Math.min(100, WORKFLOWS),
      concurrency,
      baseline && (() => baseline(STEPS, warmSamples)),
    );
    stepUs.length = 0;
    const baselineUs: number[] = [];
    let baselineSpentUs = 0;
    const timedBaseline =
      baseline &&
      (async () => {
        const start = nowUs();
        await baseline(STEPS, baselineUs);
        baselineSpentUs += nowUs() - start;
      });
    const start = nowUs();
    await runMany(engine, `noop-${label}`, label, WORKFLOWS, concurrency, timedBaseline);
    const seconds = (nowUs() - start - baselineSpentUs) / 1e6; // the interleaved INSERTs are not workflow time
    return { stepUs: [...stepUs], baselineUs, workflowsPerS: WORKFLOWS / seconds };
  } finally {
    await engine.stop({ graceMs: 1_000 });
    await pool.end();
  }
}

async function runMany(
  engine: ReturnType<typeof createEngine>,
  kind: string,
  prefix: string,
  count: number,
  concurrency: number,
  before?: () => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const id = `${prefix}-${next++}`;
        await before?.();
        await engine.startRun({ kind, id, key: "bench", input: null });
        const outcome = await engine.result(id, { timeoutMs: 60_000 });
        if (outcome.status !== "completed") throw new Error(`${id} ended ${outcome.status}`);
      }
    }),
  );
}

/** Spawns a worker process that claims `runId` and holds it in a step; resolves once it holds it. */
async function spawnHolder(url: string, runId: string, leaseMs: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", __filename], {
    env: { ...process.env, [CHILD_ENV]: url, HYDRA_BENCH_RUN_ID: runId, HYDRA_BENCH_LEASE_MS: String(leaseMs) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("lease holder did not start within 30 s")), 30_000);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line === "HOLDING") {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`lease holder exited with ${code}`)));
  });
  return child;
}

/** The child side of spawnHolder: an engine whose step never finishes. */
async function holdRun(url: string, runId: string, leaseMs: number): Promise<void> {
  const pool = createPool(url, { max: 4 });
  const hold = defineWorkflow("lease-hold", async (ctx) => {
    await ctx.step("held", async () => {
      process.stdout.write("HOLDING\n");
      await new Promise(() => {});
    });
  });
  const engine = createEngine({ pool, leaseMs, logger: silent }).register(hold);
  await engine.start();
  await engine.startRun({ kind: "lease-hold", id: runId, key: "bench", input: null });
}

async function leaseRecoveryMs(url: string): Promise<number[]> {
  const pool = createPool(url, { max: 6 });
  const resumedAt = new Map<string, number>();
  const resumed = defineWorkflow("lease-hold", async (ctx) => {
    await ctx.step("held", () => null);
  });
  const engine = createEngine({
    pool,
    leaseMs: LEASE_TTL_MS,
    logger: silent,
    onStepEvent: (e: StepEvent) => {
      if (e.type === "started" && !resumedAt.has(e.runId)) resumedAt.set(e.runId, performance.now());
    },
  }).register(resumed);
  await engine.start();
  const samples: number[] = [];
  try {
    for (let trial = 0; trial < RECOVERY_TRIALS; trial++) {
      const runId = `lease-${trial}`;
      const holder = await spawnHolder(url, runId, LEASE_TTL_MS);
      // Pause at a random point of the heartbeat cycle, not right after a renewal. Paused, the
      // holder keeps its connections and its session lock: only the lease can free its run.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * LEASE_TTL_MS));
      const pausedAt = performance.now();
      holder.kill("SIGSTOP");
      try {
        const outcome = await engine.result(runId, { timeoutMs: 10 * LEASE_TTL_MS });
        if (outcome.status !== "completed") throw new Error(`${runId} ended ${outcome.status}`);
        samples.push(resumedAt.get(runId)! - pausedAt);
      } finally {
        holder.kill("SIGKILL");
        holder.kill("SIGCONT");
      }
    }
  } finally {
    await engine.stop({ graceMs: 0 });
    await pool.end();
  }
  return samples;
}

/** kill -9 of the owner (default 15 s lease) → the run completed by another instance, per trial. */
async function crashRecoveryMs(url: string): Promise<number[]> {
  const pool = createPool(url, { max: 6 });
  const survivor = defineWorkflow("lease-hold", async (ctx) => {
    await ctx.step("held", () => null);
  });
  const engine = createEngine({ pool, logger: silent }).register(survivor);
  await engine.start();
  const samples: number[] = [];
  try {
    for (let trial = 0; trial < CRASH_TRIALS; trial++) {
      const runId = `crash-${trial}`;
      const holder = await spawnHolder(url, runId, DEFAULT_LEASE_MS);
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      const killedAt = performance.now();
      holder.kill("SIGKILL");
      const outcome = await engine.result(runId, { timeoutMs: 2 * DEFAULT_LEASE_MS });
      if (outcome.status !== "completed") throw new Error(`${runId} ended ${outcome.status}`);
      samples.push(performance.now() - killedAt);
    }
  } finally {
    await engine.stop({ graceMs: 0 });
    await pool.end();
  }
  return samples;
}

async function run(): Promise<Figure[]> {
  const database = `hydra_bench_workflow_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE ${database}`);
  const url = withDatabase(SERVER_URL, database);
  try {
    await applyMigrations(url);
    const pool = createPool(url, { max: 1 });
    await pool.query(
      "CREATE TABLE bench_baseline (id text PRIMARY KEY, payload jsonb, created_at timestamptz NOT NULL DEFAULT now())",
    );
    const one = await workflowRound(url, 1, "c1", baselineInserter(pool)).finally(() => pool.end());
    const many = await workflowRound(url, 32, "c32");
    const recovery = await leaseRecoveryMs(url);
    const crash = await crashRecoveryMs(url);
    const baseline = one.baselineUs;

    const baselineP50 = percentile(baseline, 50);
    const stepP50 = percentile(one.stepUs, 50);
    const worstRecovery = Math.max(...recovery);
    const vsBaseline = "bare single-row INSERT round trip p50";
    return [
      {
        name: "workflow.baseline_insert_p50_us",
        value: round(baselineP50, 0),
        unit: "us",
        baseline: `${baseline.length} INSERTs interleaved with the c1 workflows`,
      },
      { name: "workflow.baseline_insert_p99_us", value: round(percentile(baseline, 99), 0), unit: "us", baseline: "-" },
      {
        name: "workflow.step_overhead_p50_us",
        value: round(stepP50, 0),
        unit: "us",
        baseline: `${vsBaseline} (${round(baselineP50, 0)} us); concurrency 1`,
      },
      {
        name: "workflow.step_overhead_p99_us",
        value: round(percentile(one.stepUs, 99), 0),
        unit: "us",
        baseline: "concurrency 1",
      },
      {
        name: "workflow.step_overhead_ratio_p50",
        value: round(stepP50 / baselineP50, 2),
        unit: "x",
        baseline: `${vsBaseline}; goal ≤ 2`,
      },
      {
        name: "workflow.step_overhead_p50_us_c32",
        value: round(percentile(many.stepUs, 50), 0),
        unit: "us",
        baseline: "concurrency 32 (commits contend)",
      },
      {
        name: "workflow.step_overhead_p99_us_c32",
        value: round(percentile(many.stepUs, 99), 0),
        unit: "us",
        baseline: "concurrency 32",
      },
      {
        name: "workflow.workflows_per_s_c1",
        value: round(one.workflowsPerS, 1),
        unit: "1/s",
        baseline: `${WORKFLOWS} × ${STEPS} no-op steps, start → result()`,
      },
      {
        name: "workflow.workflows_per_s_c32",
        value: round(many.workflowsPerS, 1),
        unit: "1/s",
        baseline: `${WORKFLOWS} × ${STEPS} no-op steps, 32 at once`,
      },
      {
        name: "workflow.crash_recovery_ms",
        value: round(percentile(crash, 50), 0),
        unit: "ms",
        baseline: `median of ${CRASH_TRIALS} kill -9 of the owner → run completed elsewhere; lease ${DEFAULT_LEASE_MS} ms; goal < 1000`,
      },
      {
        name: "workflow.crash_recovery_max_ms",
        value: round(Math.max(...crash), 0),
        unit: "ms",
        baseline: `worst of the ${CRASH_TRIALS}`,
      },
      {
        name: "workflow.lease_recovery_ms",
        value: round(worstRecovery, 0),
        unit: "ms",
        baseline: `worst of ${RECOVERY_TRIALS} SIGSTOPs (paused owner); lease TTL ${LEASE_TTL_MS} ms`,
      },
      {
        name: "workflow.lease_recovery_ratio",
        value: round(worstRecovery / LEASE_TTL_MS, 2),
        unit: "x TTL",
        baseline: "pause → step running elsewhere; goal ≤ 2",
      },
    ];
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

export const suite: BenchSuite = { name: "workflow", run };

if (process.env[CHILD_ENV]) {
  holdRun(process.env[CHILD_ENV]!, process.env.HYDRA_BENCH_RUN_ID!, Number(process.env.HYDRA_BENCH_LEASE_MS)).catch(
    (error: Error) => {
      process.stderr.write(`lease holder failed: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}
