import net from "node:net";

/** HAProxy refused a runtime API command (its answer says why). */
export class HaproxyCommandError extends Error {
  override readonly name = "HaproxyCommandError";
  constructor(
    readonly command: string,
    readonly answer: string,
  ) {
    super(`haproxy refused "${command.slice(0, 120)}": ${answer.trim().slice(0, 300)}`);
  }
}

/** HAProxy's runtime API (the admin stats socket): one connection per command, with a deadline. */
export class HaproxySocket {
  constructor(
    private readonly socketPath: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Sends one command line (optionally with a `<<` payload) and returns HAProxy's answer. */
  send(command: string, payload?: string): Promise<string> {
    const text =
      payload === undefined ? `${command}\n` : `${command} <<\n${payload}${payload.endsWith("\n") ? "" : "\n"}\n`;
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(this.socketPath);
      const chunks: Buffer[] = [];
      const timer = setTimeout(
        () => socket.destroy(new Error(`haproxy did not answer "${command.slice(0, 80)}" within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      socket.on("connect", () => socket.end(text));
      socket.on("data", (chunk) => chunks.push(chunk));
      socket.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.on("close", () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString("utf8"));
      });
    });
  }

  /** A command whose success is an empty answer (map edits); anything else is an error. */
  async run(command: string, payload?: string): Promise<void> {
    const answer = await this.send(command, payload);
    if (answer.trim() !== "") throw new HaproxyCommandError(command, answer);
  }

  /** The pid of the HAProxy process answering, or undefined when none does. */
  async pid(): Promise<number | undefined> {
    try {
      const info = await this.send("show info");
      const match = /^Pid: (\d+)$/m.exec(info);
      return match ? Number(match[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The current entries of a map (`show map`): key → value. */
  async showMap(mapPath: string): Promise<Map<string, string>> {
    const answer = await this.send(`show map ${mapPath}`);
    const entries = new Map<string, string>();
    for (const line of answer.split("\n")) {
      const match = /^0x[0-9a-f]+ (\S+) (.*)$/.exec(line);
      if (match) entries.set(match[1]!, match[2]!);
      else if (line.trim() && !line.startsWith("0x")) throw new HaproxyCommandError(`show map ${mapPath}`, answer);
    }
    return entries;
  }
}
