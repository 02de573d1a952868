import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { REPO_ROOT, type ServiceProcess, startService } from "../../support/service-process";

const MAIN = path.join(REPO_ROOT, "services/routing-svc/src/main.ts");
const FALLBACK = path.join(__dirname, "routing-main.ts");

/** True once services/routing-svc/src/main.ts serves the routing runtime (not the placeholder). */
export function mainServesRouting(): boolean {
  return readFileSync(MAIN, "utf8").includes("createRoutingRuntime");
}

/**
 * A routing-svc process on a free port: the real entry point when it serves the routing
 * runtime, else the same wiring from routing-main.ts.
 */
export async function startRoutingService(env: Record<string, string | undefined>): Promise<ServiceProcess> {
  if (mainServesRouting()) return startService("routing-svc", { env });
  const child = spawn(process.execPath, ["--import", "tsx", FALLBACK], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: "info", ROUTING_SVC_ADDR: "127.0.0.1:0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: stream }).on("line", (line) => {
      lines.push(line);
      for (const listener of listeners) listener(line);
    });
  }
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));
  const waitForLine = (match: (line: string) => boolean, timeoutMs = 15_000) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find(match);
      if (seen) return resolve(seen);
      const listener = (line: string) => {
        if (!match(line)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(line);
      };
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`routing-svc: no matching line within ${timeoutMs} ms:\n${lines.slice(-15).join("\n")}`));
      }, timeoutMs);
      listeners.add(listener);
      void exited.then((code) => {
        if (!listeners.has(listener)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        reject(new Error(`routing-svc exited (${code}):\n${lines.slice(-30).join("\n")}`));
      });
    });
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  try {
    const listening = await waitForLine((line) => line.includes('"msg":"listening"'), 30_000);
    const url = (JSON.parse(listening) as { url: string }).url;
    return { name: "routing-svc", url, child, lines, exited, stop, waitForLine };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}
