import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { SERVICE_NODE_ARGS } from "../../scripts/service-node-args";

/**
 * A hydra server started as its own process (the real entry point, the real port), for
 * tests that cross a process boundary: crashes, restarts, two instances.
 */
export const REPO_ROOT = path.resolve(__dirname, "../..");

export const SERVICE_ENTRY = {
  "deploy-svc": "services/deploy-svc/src/main.ts",
  "routing-svc": "services/routing-svc/src/main.ts",
  frontline: "services/frontline/src/main.ts",
} as const;

export type ServiceName = keyof typeof SERVICE_ENTRY;

export interface ServiceProcess {
  name: ServiceName;
  url: string;
  child: ChildProcess;
  /** Every stdout/stderr line so far (JSON log lines and anything else). */
  lines: string[];
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
  /** SIGTERM (graceful) or SIGKILL (crash); resolves when the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  /** Waits for a log line matching `match` (deadline `timeoutMs`). */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** Deadline for the "listening" line. */
  timeoutMs?: number;
}

/** The variable each server takes its listen address from. */
export const ADDRESS_VARIABLE: Record<ServiceName, string> = {
  "deploy-svc": "DEPLOY_SVC_ADDR",
  "routing-svc": "ROUTING_SVC_ADDR",
  frontline: "HYDRA_FRONTLINE_ADMIN_ADDR",
};

export async function startService(name: ServiceName, options: StartOptions = {}): Promise<ServiceProcess> {
  // The caller's shell may export HYDRA_API_TOKEN: a server that inherited it would refuse the
  // test's (and bench's) clients, which send a token only when told to. Only options.env sets it.
  const { HYDRA_API_TOKEN: _ambientToken, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    LOG_LEVEL: "info",
    [ADDRESS_VARIABLE[name]]: "127.0.0.1:0",
    ...options.env,
  };
  const child = spawn(process.execPath, [...SERVICE_NODE_ARGS, SERVICE_ENTRY[name]], {
    cwd: REPO_ROOT,
    env,
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
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });

  const waitForLine = (match: (line: string) => boolean, timeoutMs = 15_000) =>
    new Promise<string>((resolve, reject) => {
      const seen = lines.find(match);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(
          new Error(
            `${name}: no matching log line within ${timeoutMs} ms; last lines:\n${lines.slice(-15).join("\n")}`,
          ),
        );
      }, timeoutMs);
      const listener = (line: string) => {
        if (!match(line)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(line);
      };
      listeners.add(listener);
      void exited.then((code) => {
        if (!listeners.has(listener)) return;
        clearTimeout(timer);
        listeners.delete(listener);
        reject(
          new Error(`${name} exited (${code}) before the awaited log line; output:\n${lines.slice(-30).join("\n")}`),
        );
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
    // A start deadline, not a speed check: beside a CPU hog, a first start that transpiles the
    // Kubernetes client took over 30 s from "database ready" to "listening".
    const listening = await waitForLine((line) => line.includes('"msg":"listening"'), options.timeoutMs ?? 90_000);
    const url = (JSON.parse(listening) as { url: string }).url;
    return { name, url, child, lines, exited, stop, waitForLine };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}
