// hydra's engine (packages/workflow) as its README recommends: one engine per process on a pg
// pool, a step per no-op, startRun + result() (LISTEN/NOTIFY, no polling).
import { createPool } from "@hydra/db";
import { createEngine, defineWorkflow, type Logger } from "@hydra/workflow";
import { spawnChild } from "./children";
import { STEPS, type Peer } from "./workload";

const quiet = () => {};
const silent: Logger = { debug: quiet, info: quiet, warn: quiet, error: quiet };
const KIND = "peers-noop";

export function noopWorkflow(hold: (i: number) => boolean = () => false) {
  return defineWorkflow(KIND, async (ctx) => {
    for (let i = 0; i < STEPS; i++) {
      await ctx.step(`step-${i}`, async () => {
        if (hold(i)) {
          process.stdout.write("HOLDING\n");
          await new Promise(() => {});
        }
        return null;
      });
    }
    return null;
  });
}

export async function startHydra(url: string, concurrency: number): Promise<Peer> {
  const pool = createPool(url, { max: concurrency + 8, applicationName: "peers-hydra" });
  const engine = createEngine({ pool, concurrency, logger: silent }).register(noopWorkflow());
  await engine.start();
  return {
    name: "hydra",
    async runWorkflow(id) {
      await engine.startRun({ kind: KIND, id, key: "peers", input: null });
      const outcome = await engine.result(id, { timeoutMs: 60_000 });
      if (outcome.status !== "completed") throw new Error(`hydra ${id} ended ${outcome.status}`);
    },
    async stop() {
      await engine.stop({ graceMs: 1_000 });
      await pool.end();
    },
  };
}

/**
 * kill -9 of the process running the workflow (in step 5; default 15 s lease) → the run
 * completed by another instance, already running, as deployed (no restart needed).
 */
export async function hydraRecoveryMs(url: string, id: string): Promise<number> {
  const survivor = await startHydra(url, 4);
  try {
    const child = spawnChild("hydra-child.ts", { PEERS_DATABASE_URL: url, PEERS_RUN_ID: id, PEERS_HOLD: "1" });
    await child.waitFor("HOLDING");
    const killedAt = performance.now();
    child.process.kill("SIGKILL");
    await survivor.runWorkflow(id); // same id: awaits the existing run
    return performance.now() - killedAt;
  } finally {
    await survivor.stop();
  }
}
