import pg from "pg";
import { backoffDelayMs, type Backoff } from "./backoff";

/** Reconnecting: 200 ms, doubling, at most 5 s. */
const RECONNECT: Backoff = { initialMs: 200, factor: 2, maxMs: 5_000, jitter: 0 };

/**
 * One dedicated connection LISTENing on a channel (outside the pool, so it never takes a
 * query slot). Reconnects with backoff; `onReconnect` runs after a reconnect because
 * notifications sent while disconnected are lost and state must be re-read.
 */
export interface PgListenerOptions {
  /** Connection settings, e.g. `pool.options`. */
  connection: pg.ClientConfig;
  channel: string;
  onPayload: (payload: string) => void;
  onReconnect?: () => void;
  onError?: (error: Error) => void;
}

export class PgListener {
  private client: pg.Client | null = null;
  private closed = false;
  private connecting: Promise<void> | null = null;
  /** Failed reconnects in a row: the next pause grows with them. */
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PgListenerOptions) {
    if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) throw new TypeError(`invalid channel name ${options.channel}`);
  }

  /** The LISTEN connection while it is up: mostly idle, so a few small queries on it never queue behind a busy pool. */
  get connection(): pg.Client | null {
    return this.client;
  }

  /** Resolves once LISTEN is in place; calling it again while up (or connecting) is a no-op. */
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
    const client = new pg.Client(this.options.connection);
    client.on("notification", (message) => {
      if (message.channel === this.options.channel && message.payload) this.options.onPayload(message.payload);
    });
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client, new Error("connection ended")));
    await client.connect();
    await client.query(`LISTEN ${this.options.channel}`);
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.failures = 0;
    if (isReconnect) this.options.onReconnect?.();
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = null;
    this.options.onError?.(error);
    void client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(
      () => {
        if (this.closed) return;
        this.connect(true).catch((error: Error) => {
          this.options.onError?.(error);
          this.failures++;
          if (!this.closed) this.scheduleReconnect();
        });
      },
      backoffDelayMs(RECONNECT, this.failures + 1),
    );
    this.retryTimer.unref();
  }
}
