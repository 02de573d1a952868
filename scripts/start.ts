// `pnpm start`: apply migrations, then run deploy-svc and routing-svc as child processes,
// print where they listen and how to call them. Ctrl-C (or SIGTERM) stops both gracefully.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { SERVICE_NODE_ARGS } from "./service-node-args";
import { applyMigrations, databaseName, ensureDatabase, redact, withDatabase } from "@hydra/db";
import { checkPostgres, checkRedis } from "@hydra/server-kit";
import { nginxAvailable } from "@hydra/cluster";

const root = path.resolve(__dirname, "..");
const databaseUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/hydra";
const redisUrls = (process.env.REDIS_URLS ?? "redis://127.0.0.1:6379").split(",");

function run(name: string, entry: string): { child: ChildProcess; listening: Promise<string> } {
  const child = spawn(process.execPath, [...SERVICE_NODE_ARGS, entry], {
    cwd: root,
    env: process.env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const listening = new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      process.stdout.write(`${line}\n`);
      if (line.includes('"msg":"listening"')) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code} before listening`)));
  });
  return { child, listening };
}

// Without clusters, deploy-svc runs the simulated one; keep it in a file so it outlives a
// restart (kill -9 mid-deploy, then `pnpm start` again) the way a real cluster would.
if (!process.env.HYDRA_CLUSTERS && !process.env.HYDRA_SIMULATED_STATE) {
  process.env.HYDRA_SIMULATED_STATE = path.join(root, ".tmp", `simulated-cluster-${databaseName(databaseUrl)}.json`);
}

// The edge's HAProxy (config, maps, socket) and the agent's position live beside the cluster
// state; HAProxy outlives a stop of `pnpm start` and is adopted by the next one.
process.env.HYDRA_FRONTLINE_STATE_DIR ??= path.join(root, ".tmp", `frontline-${databaseName(databaseUrl)}`);

// Without clusters, the simulated one serves what it deploys (instances, an nginx sentinel per
// environment, local DNS) when nginx is installed.
if (!process.env.HYDRA_CLUSTERS && process.env.HYDRA_SIMULATED_SERVE === undefined) {
  if (nginxAvailable()) process.env.HYDRA_SIMULATED_SERVE = "true";
  else
    console.error(
      "hydra: nginx is not installed, so the local cluster will not serve requests (sudo apt-get install -y nginx)",
    );
}

async function main(): Promise<void> {
  await checkPostgres(withDatabase(databaseUrl, "postgres"));
  await checkRedis(redisUrls);
  await ensureDatabase(databaseUrl);
  const { applied, total } = await applyMigrations(databaseUrl);
  console.error(`hydra: ${redact(databaseUrl)}: ${applied.length} migration(s) applied, ${total} in all`);

  const routing = run("routing-svc", "services/routing-svc/src/main.ts");
  const deploy = run("deploy-svc", "services/deploy-svc/src/main.ts");
  const children = [routing.child, deploy.child];
  // The edge needs a real HAProxy; without one, hydra still runs, minus the data plane.
  const haproxyInstalled = spawnSync(process.env.HAPROXY_BIN ?? "haproxy", ["-v"]).status === 0;
  const frontline = haproxyInstalled ? run("frontline", "services/frontline/src/main.ts") : undefined;
  if (frontline) children.push(frontline.child);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill(signal);
  };
  process.on("SIGINT", () => stop("SIGTERM"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  for (const child of children) {
    child.once("exit", (code) => {
      if (!stopping) {
        console.error(`hydra: a server exited (${code}); stopping the other`);
        stop("SIGTERM");
      }
      if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(stopping ? 0 : 1);
    });
  }

  const [routingUrl, deployUrl] = await Promise.all([routing.listening, deploy.listening]);
  const frontlineAdmin = await frontline?.listening;
  const edge = `http://${process.env.HYDRA_FRONTLINE_ADDR ?? "127.0.0.1:8080"}`;
  const frontlineLine = frontlineAdmin
    ? `  frontline    ${edge}   HAProxy edge (curl -H 'Host: <domain>' ${edge}/); health and metrics ${frontlineAdmin}`
    : "  frontline    not running: haproxy is not installed (apt-get install -y haproxy)";
  const auth = process.env.HYDRA_API_TOKEN ? ` -H "Authorization: Bearer $HYDRA_API_TOKEN"` : "";
  console.error(`
hydra is running
  deploy-svc   ${deployUrl}   hydra.v1.DeployService, ctrl.v1.ProjectService, ctrl.v1.DeploymentService
  routing-svc  ${routingUrl}   hydra.v1.RoutingService
${frontlineLine}

Try:
  pnpm exec buf curl --http2-prior-knowledge --list-methods ${deployUrl}
  pnpm exec buf curl --http2-prior-knowledge${auth} -d '{"name":"Acme","slug":"acme"}' ${deployUrl}/ctrl.v1.ProjectService/CreateWorkspace
`);
}

main().catch((error: Error) => {
  console.error(`hydra: cannot start: ${error.message}`);
  process.exit(2);
});
