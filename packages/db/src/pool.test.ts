import net from "node:net";
import { createPool, inTransaction } from "./pool";
import { TEST_SERVER_URL } from "./testing";

/**
 * A TCP relay to Postgres that can go silent without closing anything: what a half-open
 * connection looks like to the client (the server or a middlebox vanished, no FIN, no RST).
 */
async function silenceableRelay(target: URL): Promise<{ url: string; silence(): void; close(): Promise<void> }> {
  let silent = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    client.on("data", (chunk) => silent || upstream.write(chunk));
    upstream.on("data", (chunk) => silent || client.write(chunk));
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const url = new URL(target.href);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.href,
    silence: () => {
      silent = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("createPool", () => {
  it("bounds every statement on the server (statement_timeout)", async () => {
    const pool = createPool(TEST_SERVER_URL, { max: 1, statementTimeoutMs: 200 });
    try {
      await expect(pool.query("SELECT pg_sleep(5)")).rejects.toMatchObject({ code: "57014" });
      expect((await pool.query<{ ok: number }>("SELECT 1 AS ok")).rows[0]!.ok).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it("gives up on a half-open connection, and closes it instead of reusing it", async () => {
    const relay = await silenceableRelay(new URL(TEST_SERVER_URL));
    const pool = createPool(relay.url, { max: 1, statementTimeoutMs: 200, queryTimeoutMs: 400 });
    try {
      await pool.query("SELECT 1");
      relay.silence();
      // Without query_timeout this waits for the kernel's TCP timeout (~15 minutes).
      await expect(inTransaction(pool, (tx) => tx.query("SELECT 1"))).rejects.toThrow(/timeout/i);
      expect(pool.totalCount).toBe(0);
    } finally {
      await relay.close();
      await pool.end();
    }
  });
});
