// Restate as its documentation recommends: restate-server (the npm binary, default durable local
// storage in a scratch directory), a Node endpoint with a workflow whose steps are ctx.run,
// invoked through the ingress over HTTP (the call returns once the workflow completed).
import "./promise-with-resolvers";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import * as restate from "@restatedev/restate-sdk";
import { spawnChild } from "./children";
import { STEPS, type Peer } from "./workload";

export function noopWorkflow(name: string, hold: (i: number) => boolean = () => false) {
  return restate.workflow({
    name,
    handlers: {
      run: async (ctx: restate.WorkflowContext) => {
        for (let i = 0; i < STEPS; i++) {
          await ctx.run(`step-${i}`, async () => {
            if (hold(i)) {
              process.stdout.write("HOLDING\n");
              await new Promise(() => {});
            }
            return null;
          });
        }
        return null;
      },
    },
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export interface RestateServer {
  ingress: string;
  admin: string;
  register(endpointPort: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startRestateServer(): Promise<RestateServer> {
  const baseDir = mkdtempSync(path.join(tmpdir(), "hydra-peers-restate-"));
  const [ingressPort, adminPort, nodePort] = [await freePort(), await freePort(), await freePort()];
  const binary = path.join(
    path.dirname(require.resolve("@restatedev/restate-server/package.json")),
    "node_modules/.bin/restate-server",
  );
  const child: ChildProcess = spawn(binary, ["--no-logo"], {
    env: {
      ...process.env,
      RESTATE_BASE_DIR: baseDir,
      RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingressPort}`,
      RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${adminPort}`,
      RESTATE_BIND_PORT: String(nodePort),
      RESTATE_LISTEN_MODE: "tcp",
      RESTATE_ADVERTISED_HOST: "127.0.0.1",
      RESTATE_LOG_FILTER: "warn",
    },
    stdio: "ignore",
  });
  const admin = `http://127.0.0.1:${adminPort}`;
  const ingress = `http://127.0.0.1:${ingressPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up =
      (await fetch(`${admin}/health`).then(
        (r) => r.ok,
        () => false,
      )) &&
      (await fetch(`${ingress}/restate/health`).then(
        (r) => r.ok,
        () => false,
      ));
    if (up) break;
    if (Date.now() > deadline) throw new Error("restate-server did not come up within 60 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    ingress,
    admin,
    async register(endpointPort) {
      const response = await fetch(`${admin}/deployments`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ uri: `http://127.0.0.1:${endpointPort}`, force: true }),
      });
      if (!response.ok) throw new Error(`registering the endpoint failed: ${response.status} ${await response.text()}`);
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
}

async function call(url: string, method = "POST"): Promise<unknown> {
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json" },
    body: method === "POST" ? "null" : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url}: ${response.status} ${text}`);
  return text;
}

export async function startRestate(server: RestateServer): Promise<Peer> {
  const port = await restate
    .endpoint()
    .bind(noopWorkflow("peersNoop"))
    .listen(await freePort());
  await server.register(port);
  return {
    name: "restate",
    async runWorkflow(id) {
      await call(`${server.ingress}/peersNoop/${id}/run`);
    },
    async stop() {
      // The endpoint's HTTP/2 server lives until the process ends; nothing is left running on it.
    },
  };
}

/**
 * kill -9 of the endpoint process running the workflow (in step 5) → the endpoint restarted on
 * the same address → restate-server's retry reaches it → completed. Includes the restart.
 */
export async function restateRecoveryMs(
  server: RestateServer,
  id: string,
  port: number,
  registered: boolean,
): Promise<number> {
  const env = { PEERS_RESTATE_PORT: String(port) };
  const doomed = spawnChild("restate-child.ts", { ...env, PEERS_HOLD: "1" });
  await doomed.waitFor("LISTENING");
  if (!registered) await server.register(port);
  await call(`${server.ingress}/peersNoopRecover/${id}/run/send`);
  await doomed.waitFor("HOLDING");
  const killedAt = performance.now();
  doomed.process.kill("SIGKILL");
  const restarted = spawnChild("restate-child.ts", env);
  try {
    await call(`${server.ingress}/restate/workflow/peersNoopRecover/${id}/attach`, "GET");
    return performance.now() - killedAt;
  } finally {
    restarted.process.kill("SIGKILL");
  }
}
