// The Restate endpoint for restateRecoveryMs: serves the recovery workflow on PEERS_RESTATE_PORT
// (holding it in step 5 with PEERS_HOLD).
import "./promise-with-resolvers";
import * as restate from "@restatedev/restate-sdk";
import { holdsForever } from "./children";
import { noopWorkflow } from "./restate";

restate
  .endpoint()
  .bind(noopWorkflow("peersNoopRecover", holdsForever))
  .listen(Number(process.env.PEERS_RESTATE_PORT))
  .then(() => process.stdout.write("LISTENING\n"))
  .catch((error: Error) => {
    process.stderr.write(`restate child failed: ${error.stack ?? error.message}\n`);
    process.exit(1);
  });
