import pino from "pino";
import { createPool, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import type { StepEvent } from "./define";
import { createEngine, type EngineOptions, type WorkflowEngine } from "./engine";

/**
 * For this package's tests: a fresh database, engines on it with short leases, and cleanup.
 * Every engine gets its own pool, as separate instances would.
 */
export interface EngineHarness {
  db: TestDatabase;
  /** A pool for the test's own queries. */
  pool: Pool;
  engine(options?: Partial<EngineOptions>): WorkflowEngine;
  /** Step events of every engine made here, in order. */
  events: StepEvent[];
  close(): Promise<void>;
}

export async function engineHarness(label: string): Promise<EngineHarness> {
  const db = await createTestDatabase(label);
  const pool = createPool(db.url, { max: 4 });
  const pools: Pool[] = [pool];
  const engines: WorkflowEngine[] = [];
  const events: StepEvent[] = [];
  return {
    db,
    pool,
    events,
    engine(options = {}) {
      const enginePool = createPool(db.url, { max: 10 });
      pools.push(enginePool);
      const engine = createEngine({
        pool: enginePool,
        leaseMs: 1_000,
        sweepMs: 200,
        onStepEvent: (event) => {
          events.push(event);
        },
        logger: pino({ level: process.env.HYDRA_WORKFLOW_LOG_LEVEL ?? "silent" }),
        ...options,
      });
      engines.push(engine);
      return engine;
    },
    async close() {
      await Promise.all(engines.map((e) => e.stop({ graceMs: 0 }).catch(() => {})));
      await Promise.all(pools.map((p) => p.end().catch(() => {})));
      await db.drop();
    },
  };
}

/** A promise with its resolve exposed: lets a test hold a step body at a known point. */
export function gate<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** Polls `probe` until it returns a value other than undefined, or fails at the deadline. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
