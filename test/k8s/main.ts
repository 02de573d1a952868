/**
 * Starts one stand-in API server per region in this process and writes a kubeconfig (one
 * context per region) and a HYDRA_CLUSTERS file pointing at them.
 *
 *   pnpm exec tsx test/k8s/main.ts --regions us-east,eu-west --dir .tmp/standin [--ready-delay-ms 200]
 *   HYDRA_CLUSTERS=.tmp/standin/clusters.json pnpm start
 *
 * Prints one JSON line `{"event":"ready",...}` on stdout when listening. Stops on SIGINT/SIGTERM,
 * and when stdin closes if `--exit-with-stdin` is given (how the test handle runs it).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { stringify } from "yaml";
import { loadSchemas } from "./schema";
import { ApiServer } from "./server";

function args(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) out[a.slice(2)] = "true";
    else out[a.slice(2)] = (i++, next);
  }
  return out;
}

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  const regions = (a.regions ?? "local")
    .split(",")
    .map((r) => r.trim())
    .filter(Boolean);
  const dir = resolve(a.dir ?? ".tmp/standin");
  const token = a.token ?? "standin-token";
  mkdirSync(dir, { recursive: true });
  const schemas = await loadSchemas();
  const servers = regions.map(
    (region, index) =>
      new ApiServer({
        region,
        index,
        token,
        schemas,
        readyDelayMs: a["ready-delay-ms"] ? Number(a["ready-delay-ms"]) : undefined,
        bookmarkIntervalMs: a["bookmark-interval-ms"] ? Number(a["bookmark-interval-ms"]) : undefined,
        historyLimit: a["history-limit"] ? Number(a["history-limit"]) : undefined,
      }),
  );
  const basePort = a.port ? Number(a.port) : 0;
  for (const [i, server] of servers.entries()) await server.start(basePort ? basePort + i : 0);

  const kubeconfig = resolve(dir, "kubeconfig.yaml");
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      // client-node refuses an http:// server unless insecure-skip-tls-verify is set.
      clusters: servers.map((s) => ({
        name: `standin-${s.region}`,
        cluster: { server: s.url, "insecure-skip-tls-verify": true },
      })),
      users: [{ name: "standin", user: { token } }],
      contexts: servers.map((s) => ({
        name: `standin-${s.region}`,
        context: { cluster: `standin-${s.region}`, user: "standin", namespace: "default" },
      })),
      "current-context": `standin-${servers[0]!.region}`,
    }),
  );
  const clusters = resolve(dir, "clusters.json");
  const clusterMap = Object.fromEntries(servers.map((s) => [s.region, { kubeconfig, context: `standin-${s.region}` }]));
  writeFileSync(clusters, `${JSON.stringify(clusterMap, null, 2)}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all(servers.map((s) => s.stop()));
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  if (a["exit-with-stdin"]) {
    process.stdin.on("end", stop);
    process.stdin.on("close", stop);
    process.stdin.resume();
  }
  process.stdout.write(
    `${JSON.stringify({ event: "ready", kubeconfig, clusters, regions: Object.fromEntries(servers.map((s) => [s.region, { url: s.url, port: s.port, context: `standin-${s.region}` }])) })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`stand-in failed to start: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
