import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import type { HaproxyPaths } from "./haproxy-config";
import { HaproxySocket } from "./haproxy-socket";

const run = promisify(execFile);

export interface RunningHaproxy {
  pid: number;
  socket: HaproxySocket;
  /** True when an already running HAProxy was taken over (its maps still hold the routes). */
  adopted: boolean;
}

/**
 * Adopts the HAProxy of a previous agent when it still runs with the same config (so traffic
 * never stops while the agent restarts), else writes the config and starts HAProxy in the
 * background (-D), detached from the agent: it keeps serving if the agent dies. The config is
 * checked with `haproxy -c` first. A running HAProxy with another config is replaced (-sf: it
 * finishes its connections), which is the only time the agent reloads anything.
 */
export async function startOrAdoptHaproxy(options: {
  bin: string;
  paths: HaproxyPaths;
  config: string;
  timeoutMs?: number;
}): Promise<RunningHaproxy> {
  const { bin, paths, config } = options;
  const socket = new HaproxySocket(paths.socket);
  const runningPid = existsSync(paths.socket) ? await socket.pid() : undefined;
  const sameConfig = existsSync(paths.config) && (await readFile(paths.config, "utf8")) === config;
  if (runningPid !== undefined && sameConfig) return { pid: runningPid, socket, adopted: true };

  await writeFile(paths.config, config);
  for (const map of [paths.mapA, paths.mapB]) if (!existsSync(map)) await writeFile(map, "");
  await writeFile(paths.side, "active a\n");
  await run(bin, ["-c", "-q", "-f", paths.config]).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`haproxy rejected the generated config: ${error.stderr || error.message}`);
  });
  const args = ["-D", "-f", paths.config, "-p", paths.pidFile];
  if (runningPid !== undefined) args.push("-sf", String(runningPid));
  await run(bin, args).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`haproxy did not start: ${error.stderr || error.message}`);
  });
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const pid = await socket.pid();
    if (pid !== undefined && pid !== runningPid) return { pid, socket, adopted: false };
    if (Date.now() > deadline) throw new Error(`haproxy started but its socket ${paths.socket} did not answer`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
