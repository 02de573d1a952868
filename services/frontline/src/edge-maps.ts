import type { HaproxyPaths } from "./haproxy-config";
import type { HaproxySocket } from "./haproxy-socket";

type Side = "a" | "b";
/** A CLI payload must fit HAProxy's buffer (tune.bufsize, 16 kB by default). */
const PAYLOAD_BYTES = 12_000;
/**
 * Snapshot payloads in flight at once, each on its own CLI connection: HAProxy spends little
 * CPU per payload, so one at a time mostly waits on round trips (100,000 hostnames are ~600).
 */
const LOAD_CONCURRENCY = 4;

/**
 * The route maps of one HAProxy, programmed without reloads. Every update is written to the
 * unused map, then one `set map` flips the side map, then the same update is written to the
 * map no longer in use; so all hostnames of an update change at once. `entries` mirrors what
 * both maps hold after each update.
 */
export class EdgeMaps {
  private entries = new Map<string, string>();
  private side: Side = "a";

  constructor(
    private readonly socket: HaproxySocket,
    private readonly paths: HaproxyPaths,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Reads the maps of an adopted HAProxy (the side in use and its entries). */
  async adopt(): Promise<void> {
    const side = (await this.socket.showMap(this.paths.side)).get("active");
    this.side = side === "b" ? "b" : "a";
    this.entries = await this.socket.showMap(this.mapOf(this.side));
  }

  /**
   * Replaces every route (a snapshot): a versioned load (prepare, add, commit) of the unused map,
   * one flip (HAProxy serves the whole new table from here: `onServing`), then the same load of
   * the map no longer in use, which later updates need. Keeps `entries` (the caller's to give).
   */
  async replaceAll(entries: Map<string, string>, onServing?: () => void): Promise<void> {
    const load = async (side: Side) => {
      const map = this.mapOf(side);
      const answer = await this.socket.send(`prepare map ${map}`);
      const version = /New version created: (\d+)/.exec(answer)?.[1];
      if (!version) throw new Error(`haproxy: prepare map ${map}: ${answer.trim()}`);
      // Entries added at a prepared version are invisible until its commit, so the payloads go
      // in any order; the senders share one generator (no copy of the table as text).
      const chunks = payloads(entryLines(entries));
      let failed = false;
      const sender = async () => {
        for (let chunk = chunks.next(); !chunk.done && !failed; chunk = chunks.next()) {
          try {
            await this.socket.run(`add map @${version} ${map}`, chunk.value);
          } catch (error) {
            failed = true; // the other senders stop too: the whole load is retried
            throw error;
          }
        }
      };
      await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, sender));
      await this.socket.run(`commit map @${version} ${map}`);
    };
    await load(other(this.side));
    await this.flip();
    onServing?.();
    await load(other(this.side));
    this.entries = entries;
  }

  /** Applies upserts and removals (one or more commits) at once. */
  async update(upserts: Map<string, string>, removals: string[]): Promise<void> {
    const commands: string[] = [];
    const map = (side: Side) => this.mapOf(side);
    const edit = (side: Side) => {
      commands.length = 0;
      for (const [host, value] of upserts) {
        commands.push(`${this.entries.has(host) ? "set" : "add"} map ${map(side)} ${host} ${value}`);
      }
      for (const host of removals) if (this.entries.has(host)) commands.push(`del map ${map(side)} ${host}`);
      return this.runAll(commands);
    };
    await edit(other(this.side));
    await this.flip();
    await edit(other(this.side));
    for (const [host, value] of upserts) this.entries.set(host, value);
    for (const host of removals) this.entries.delete(host);
  }

  private async runAll(commands: string[]): Promise<void> {
    // Several commands on one line, separated by ';' (hostnames and values never contain one).
    for (const line of payloads(commands, ";")) await this.socket.run(line);
  }

  private async flip(): Promise<void> {
    const next = other(this.side);
    await this.socket.run(`set map ${this.paths.side} active ${next}`);
    this.side = next;
  }

  private mapOf(side: Side): string {
    return side === "a" ? this.paths.mapA : this.paths.mapB;
  }
}

function* entryLines(entries: Map<string, string>): Generator<string> {
  for (const [host, value] of entries) yield `${host} ${value}`;
}

/** Lines joined into chunks that fit one CLI request. */
function* payloads(lines: Iterable<string>, separator = "\n"): Generator<string> {
  let chunk: string[] = [];
  let bytes = 0;
  for (const line of lines) {
    if (bytes + line.length + 1 > PAYLOAD_BYTES && chunk.length > 0) {
      yield chunk.join(separator);
      chunk = [];
      bytes = 0;
    }
    chunk.push(line);
    bytes += line.length + 1;
  }
  if (chunk.length > 0) yield chunk.join(separator);
}

function other(side: Side): Side {
  return side === "a" ? "b" : "a";
}
