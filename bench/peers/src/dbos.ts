// DBOS Transact as its documentation recommends: DBOS.registerWorkflow, DBOS.runStep per step,
// the system database on the same PostgreSQL, DBOS.startWorkflow + getResult().
import { DBOS } from "@dbos-inc/dbos-sdk";
import { spawnChild } from "./children";
import { STEPS, type Peer } from "./workload";

export function registerNoop(hold: (i: number) => boolean = () => false): (...args: []) => Promise<null> {
  return DBOS.registerWorkflow(
    async () => {
      for (let i = 0; i < STEPS; i++) {
        await DBOS.runStep(
          async () => {
            if (hold(i)) {
              process.stdout.write("HOLDING\n");
              await new Promise(() => {});
            }
            return null;
          },
          { name: `step-${i}` },
        );
      }
      return null;
    },
    { name: "peersNoop" },
  );
}

export function configureDbos(systemDatabaseUrl: string): void {
  DBOS.setConfig({ name: "hydra-peers", systemDatabaseUrl, logLevel: "error" });
}

export async function startDbos(systemDatabaseUrl: string): Promise<Peer> {
  configureDbos(systemDatabaseUrl);
  const noop = registerNoop();
  await DBOS.launch();
  return {
    name: "dbos",
    async runWorkflow(id) {
      const handle = await DBOS.startWorkflow(noop, { workflowID: id })();
      await handle.getResult();
    },
    async stop() {
      await DBOS.shutdown();
    },
  };
}

/**
 * kill -9 of the executor running the workflow (in step 5) → a new executor process with the
 * same executor id launches and recovers it (DBOS's self-hosted recovery: pending workflows of
 * an executor resume when it restarts) → completed. Includes the new process's start.
 */
export async function dbosRecoveryMs(systemDatabaseUrl: string, id: string): Promise<number> {
  const env = { PEERS_DATABASE_URL: systemDatabaseUrl, PEERS_RUN_ID: id };
  const doomed = spawnChild("dbos-child.ts", { ...env, PEERS_HOLD: "1" });
  await doomed.waitFor("HOLDING");
  const killedAt = performance.now();
  doomed.process.kill("SIGKILL");
  const restarted = spawnChild("dbos-child.ts", env);
  try {
    await restarted.waitFor("DONE");
    return performance.now() - killedAt;
  } finally {
    restarted.process.kill("SIGKILL");
  }
}
