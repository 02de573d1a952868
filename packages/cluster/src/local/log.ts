/**
 * A line of the local cluster's own log on stderr, in the services' JSON shape (the driver has
 * no logger of its own; what runs it reads its stderr).
 */
export function logLocal(level: "warn" | "error", msg: string, fields: Record<string, string>): void {
  process.stderr.write(`${JSON.stringify({ level, msg, ...fields })}\n`);
}
