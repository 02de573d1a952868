// The hydra worker killed by hydraRecoveryMs: starts the run and holds it in step 5.
import { createPool } from "@hydra/db";
import { createEngine, type Logger } from "@hydra/workflow";
import { holdsForever } from "./children";
import { noopWorkflow } from "./hydra";

const quiet = () => {};
const silent: Logger = { debug: quiet, info: quiet, warn: quiet, error: quiet };

async function main(): Promise<void> {
  const pool = createPool(process.env.PEERS_DATABASE_URL!, { max: 4 });
  const engine = createEngine({ pool, logger: silent }).register(noopWorkflow(holdsForever));
  await engine.start();
  await engine.startRun({ kind: "peers-noop", id: process.env.PEERS_RUN_ID!, key: "peers", input: null });
}

main().catch((error: Error) => {
  process.stderr.write(`hydra child failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
