// `pnpm runs …`: the operator's view of durable workflow runs (DATABASE_URL).
//   pnpm runs list [status] [kind]     newest first; e.g. `pnpm runs list paused`
//   pnpm runs show <run id>            the run and its steps
//   pnpm runs resume <run id>          a paused run: retry the failed step with a fresh budget
//   pnpm runs cancel <run id> [reason] compensations run, then the run ends cancelled
import { createPool } from "@hydra/db";
import { createEngine, type RunStatus } from "@hydra/workflow";

const STATUSES: RunStatus[] = ["pending", "running", "sleeping", "paused", "completed", "failed", "cancelled"];

async function main(): Promise<number> {
  const [command, ...args] = process.argv.slice(2);
  const pool = createPool(process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/hydra", {
    max: 2,
    applicationName: "hydra-runs",
  });
  // A client-only engine: it registers no workflow and never claims runs.
  const engine = createEngine({ pool });
  try {
    switch (command) {
      case "list": {
        const status = args[0] && args[0] !== "all" ? args[0] : undefined;
        if (status && !STATUSES.includes(status as RunStatus))
          throw new Error(`unknown status "${status}"; one of ${STATUSES.join(", ")}`);
        const runs = await engine.list({ status: status ? [status as RunStatus] : undefined, kind: args[1] });
        for (const run of runs) {
          console.log([run.id, run.status, run.kind, run.key, run.updatedAt.toISOString(), run.error ?? ""].join("\t"));
        }
        return 0;
      }
      case "show": {
        const run = await engine.get(required(args[0], "run id"));
        if (!run) throw new Error(`run ${args[0]} not found`);
        console.log(JSON.stringify(run, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
        return 0;
      }
      case "resume": {
        const id = required(args[0], "run id");
        if (!(await engine.resume(id))) throw new Error(`run ${id} is not paused`);
        console.log(`resumed ${id}`);
        return 0;
      }
      case "cancel": {
        const id = required(args[0], "run id");
        console.log(`${id}: ${await engine.cancel(id, args.slice(1).join(" ") || "cancelled by an operator")}`);
        return 0;
      }
      default:
        console.error("usage: pnpm runs list [status] [kind] | show <id> | resume <id> | cancel <id> [reason]");
        return 2;
    }
  } finally {
    await engine.stop();
    await pool.end();
  }
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new Error(`missing ${what}`);
  return value;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`runs: ${error.message}`);
    process.exit(1);
  },
);
