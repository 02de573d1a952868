import pg from "pg";
import type { Pool } from "@hydra/db";
import type { Logger } from "./define";
import { CHANNEL, type NotifyEvent } from "./sql/rows";

export interface Notification {
  event: NotifyEvent;
  id: string;
  kind: string;
}

/**
 * One dedicated connection LISTENing on the workflow channel (outside the pool, so it never
 * takes a query slot). Reconnects with backoff; after a reconnect `onReconnect` runs, because
 * notifications sent while disconnected are lost and state must be re-read.
 */
export class Listener {
  private client: pg.Client | null = null;
  private closed = false;
  private connecting: Promise<void> | null = null;
  private retryMs = 200;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
    private readonly onNotification: (n: Notification) => void,
    private readonly onReconnect: () => void,
  ) {}

  /** The LISTEN connection while it is up: mostly idle, so lease renewals on it never queue behind a busy pool. */
  get connection(): pg.Client | null {
    return this.client;
  }

  /** Resolves once LISTEN is in place. */
  start(): Promise<void> {
    this.closed = false;
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect(false).finally(() => (this.connecting = null));
    return this.connecting;
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => {});
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private async connect(isReconnect: boolean): Promise<void> {
    const client = new pg.Client(this.pool.options);
    client.on("notification", (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      try {
        this.onNotification(JSON.parse(message.payload) as Notification);
      } catch (error) {
        this.logger.warn({ err: error, payload: message.payload }, "bad workflow notification");
      }
    });
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client, new Error("connection ended")));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.retryMs = 200;
    if (isReconnect) this.onReconnect();
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = null;
    this.logger.warn({ err: error }, "workflow listener lost its connection; reconnecting");
    void client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.closed) return;
      this.connect(true).catch((error: unknown) => {
        this.logger.warn({ err: error }, "workflow listener reconnect failed");
        this.retryMs = Math.min(this.retryMs * 2, 5_000);
        this.scheduleReconnect();
      });
    }, this.retryMs);
    this.retryTimer.unref();
  }
}
