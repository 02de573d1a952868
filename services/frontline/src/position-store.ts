import { readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

/** What the agent applied last, kept beside HAProxy's files so a restarted agent resumes there. */
export interface AppliedState {
  /** The route stream position HAProxy's maps reflect. */
  position: bigint;
  /** The HAProxy the position is about: another one (restarted) starts from a snapshot. */
  haproxyPid: number;
}

export class PositionStore {
  private readonly file: string;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, "applied.json");
  }

  async load(): Promise<AppliedState | undefined> {
    try {
      const parsed = JSON.parse(await readFile(this.file, "utf8")) as { position: string; haproxyPid: number };
      return { position: BigInt(parsed.position), haproxyPid: parsed.haproxyPid };
    } catch {
      return undefined;
    }
  }

  /** Written after HAProxy took the update (write, then rename: never a torn file). */
  async save(state: AppliedState): Promise<void> {
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ position: state.position.toString(), haproxyPid: state.haproxyPid }));
    await rename(temporary, this.file);
  }
}
