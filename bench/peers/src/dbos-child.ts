// A DBOS executor for dbosRecoveryMs: with PEERS_HOLD it starts the workflow and holds it in
// step 5; without, it launches (recovering the pending workflow) and says DONE once it completed.
import { DBOS } from "@dbos-inc/dbos-sdk";
import { holdsForever } from "./children";
import { configureDbos, registerNoop } from "./dbos";

async function main(): Promise<void> {
  configureDbos(process.env.PEERS_DATABASE_URL!);
  const noop = registerNoop(holdsForever);
  await DBOS.launch();
  const id = process.env.PEERS_RUN_ID!;
  if (process.env.PEERS_HOLD === "1") {
    await DBOS.startWorkflow(noop, { workflowID: id })();
    return;
  }
  const handle = DBOS.retrieveWorkflow(id);
  await handle.getResult();
  process.stdout.write("DONE\n");
}

main().catch((error: Error) => {
  process.stderr.write(`dbos child failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
