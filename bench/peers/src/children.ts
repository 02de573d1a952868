// Child processes for the kill -9 trials: each engine's worker, in a process of its own, told
// by environment variables what to do, reporting `READY` / `HOLDING` / `DONE` on stdout.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";

export interface Child {
  process: ChildProcess;
  /** Resolves on the first stdout line equal to `line`; rejects if the process exits first or after `timeoutMs`. */
  waitFor(line: string, timeoutMs?: number): Promise<void>;
}

export function spawnChild(script: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, script)], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const seen = new Set<string>();
  const waiters = new Set<() => void>();
  let exited = false;
  createInterface({ input: child.stdout! }).on("line", (line) => {
    seen.add(line.trim());
    for (const w of waiters) w();
  });
  child.on("exit", () => {
    exited = true;
    for (const w of waiters) w();
  });
  return {
    process: child,
    waitFor(line, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => done(() => reject(new Error(`${script}: no ${line} within ${timeoutMs} ms`))),
          timeoutMs,
        );
        const check = () => {
          if (seen.has(line)) done(resolve);
          else if (exited) done(() => reject(new Error(`${script} exited before ${line}`)));
        };
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** A no-op step that, in the process about to be killed, never returns (step 5 of 10). */
export function holdsForever(stepIndex: number): boolean {
  return process.env.PEERS_HOLD === "1" && stepIndex === 5;
}
