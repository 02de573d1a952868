import { ExecutionError, type Lock, Redlock, ResourceLockedError } from "@sesamecare-oss/redlock";
import Redis from "ioredis";
import { backoffDelayMs } from "@hydra/db/backoff";
import { RoutingError } from "./errors";

export interface ProjectLockOptions {
  /** One client is made for each URL; the lock needs a majority of them (Redlock quorum). */
  redisUrls: string[];
  /** How long to wait for a held lock before giving up with `aborted` (HYDRA_ROUTING_LOCK_WAIT). */
  waitMs?: number;
  /** Lease length (default 3 s); extended while held, so it only bounds how long a crashed holder blocks its project. */
  ttlMs?: number;
  /**
   * Longest a holder keeps the lease (default 30 s): after it, extension stops, the holder's
   * signal aborts and the lock is released, so a holder stuck (e.g. on a half-open database
   * connection) blocks its project this long at most. A late commit is fenced by the generation.
   */
  maxHoldMs?: number;
  /** Extend this long before the lease runs out. */
  extendBeforeMs?: number;
  /** How long one Redis command may take before the server counts as down. */
  commandTimeoutMs?: number;
  /** Pause between acquire attempts while another holder has the lock (jittered ±50%). */
  retryDelayMs?: number;
  /** Key prefix, so tests and benchmarks can share a Redis without sharing locks. */
  keyPrefix?: string;
}

/** Given to the holder: aborted when the lease could not be extended and may have lapsed. */
export interface LockHold {
  readonly signal: AbortSignal;
  /** Time spent waiting for the lock, in milliseconds. */
  readonly waitedMs: number;
}

export function lockResource(prefix: string, projectId: string): string {
  return `${prefix}hydra:routing:${projectId}`;
}

/** A FIFO of callers per key inside this process, so only one of them polls Redis at a time. */
class LocalQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /** Resolves with a release function once every earlier caller for `key` released, or rejects at the deadline. */
  async enter(key: string, deadline: number): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    const done = (): void => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), Math.max(0, deadline - Date.now()));
    });
    const outcome = await Promise.race([previous.then(() => "entered" as const), expired]);
    clearTimeout(timer);
    if (outcome === "expired") {
      // Our turn may still come; pass it straight on.
      done();
      throw new RoutingError("aborted", "timed out waiting for the project's routing lock (queued in this process)");
    }
    return done;
  }
}

/**
 * The per-project routing lock: a Redlock (`@sesamecare-oss/redlock`) over one ioredis
 * client per URL, resource `hydra:routing:<project_id>`. It makes routing mutations of one
 * project take turns; correctness does not depend on it (the generation fence in Postgres
 * does), so a lease that lapses under a paused holder costs a retry, never a lost write.
 */
export class ProjectLock {
  readonly clients: Redis[];
  private readonly redlock: Redlock;
  private readonly local = new LocalQueue();
  private readonly waitMs: number;
  private readonly ttlMs: number;
  private readonly maxHoldMs: number;
  private readonly extendBeforeMs: number;
  private readonly retryDelayMs: number;
  private readonly keyPrefix: string;
  private readonly connectWaitMs: number;

  constructor(options: ProjectLockOptions) {
    if (options.redisUrls.length === 0) throw new Error("ProjectLock needs at least one Redis URL (REDIS_URLS)");
    this.waitMs = options.waitMs ?? 5_000;
    this.ttlMs = options.ttlMs ?? 3_000;
    this.maxHoldMs = options.maxHoldMs ?? 30_000;
    this.extendBeforeMs = options.extendBeforeMs ?? Math.min(2_000, Math.floor(this.ttlMs / 3));
    this.retryDelayMs = options.retryDelayMs ?? 20;
    this.keyPrefix = options.keyPrefix ?? "";
    const commandTimeout = options.commandTimeoutMs ?? 1_000;
    this.connectWaitMs = commandTimeout;
    this.clients = options.redisUrls.map((url) => {
      const client = new Redis(url, {
        // Fail fast while disconnected (→ `unavailable`) instead of queueing commands; the
        // client keeps reconnecting in the background, so a restarted Redis is used again.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout,
        connectTimeout: commandTimeout,
        retryStrategy: (attempt) => Math.min(50 * attempt, 500),
        // disconnect() arms a timer of this length even for a dead stream; keep it short so
        // closing does not hold the process.
        disconnectTimeout: 200,
        lazyConnect: false,
      });
      client.on("error", () => {});
      return client;
    });
    this.redlock = new Redlock(this.clients, { retryCount: 0, driftFactor: 0.01 });
  }

  /** Runs `fn` while holding the project's lock; releases it in `finally`. */
  async withLock<T>(projectId: string, fn: (hold: LockHold) => Promise<T>): Promise<T> {
    const started = Date.now();
    const deadline = started + this.waitMs;
    const resource = lockResource(this.keyPrefix, projectId);
    const leaveQueue = await this.local.enter(resource, deadline);
    try {
      const lock = await this.acquire(resource, deadline);
      const controller = new AbortController();
      const extender = this.keepExtended(lock, controller);
      try {
        return await fn({ signal: controller.signal, waitedMs: Date.now() - started });
      } finally {
        const last = await extender.stop();
        // A release that fails is harmless: the lease expires by itself.
        await this.redlock.release(last).catch(() => undefined);
      }
    } finally {
      leaveQueue();
    }
  }

  /** Acquire and release once, with no work in between (benchmarks). */
  async probe(projectId: string): Promise<void> {
    await this.withLock(projectId, async () => undefined);
  }

  async close(): Promise<void> {
    // quit() waits for a reconnecting client; a client that is not connected is just dropped.
    await Promise.all(
      this.clients.map(async (client) => {
        if (client.status === "ready") await client.quit().catch(() => undefined);
        client.disconnect();
      }),
    );
  }

  /**
   * Commands fail at once while a client is not connected (no offline queue), so give a client
   * that is connecting or reconnecting a short moment first.
   */
  private async clientsReady(): Promise<void> {
    await Promise.all(
      this.clients
        .filter((client) => client.status !== "ready")
        .map(
          (client) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(done, this.connectWaitMs);
              function done(): void {
                clearTimeout(timer);
                client.off("ready", done);
                resolve();
              }
              client.once("ready", done);
            }),
        ),
    );
  }

  private async acquire(resource: string, deadline: number): Promise<Lock> {
    await this.clientsReady();
    for (;;) {
      try {
        return await this.redlock.acquire([resource], this.ttlMs);
      } catch (error) {
        const verdict = await this.whyNotAcquired(error);
        if (verdict.kind === "unavailable") {
          throw new RoutingError(
            "unavailable",
            `Redis unavailable for the project lock ${resource}: ${verdict.reason}`,
            {
              cause: error,
            },
          );
        }
        const pause = backoffDelayMs(
          { initialMs: this.retryDelayMs, factor: 1, maxMs: this.retryDelayMs * 1.5, jitter: 0.5 },
          1,
        );
        if (Date.now() + pause >= deadline) {
          throw new RoutingError(
            "aborted",
            `project lock ${resource} still held by another caller after ${this.waitMs} ms`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /** Held elsewhere (wait and retry) or too few Redis servers answered (unavailable). */
  private async whyNotAcquired(error: unknown): Promise<{ kind: "held" } | { kind: "unavailable"; reason: string }> {
    if (!(error instanceof ExecutionError)) {
      return { kind: "unavailable", reason: error instanceof Error ? error.message : String(error) };
    }
    const last = error.attempts.at(-1);
    if (!last) return { kind: "unavailable", reason: error.message };
    const stats = await last;
    const failures = [...stats.votesAgainst.values()].filter((e) => !(e instanceof ResourceLockedError));
    // Quorum is out of reach even if every lock holder went away: servers are missing.
    if (stats.membershipSize - failures.length < stats.quorumSize) {
      const reasons = [...new Set(failures.map((e) => e.message))].join("; ");
      return {
        kind: "unavailable",
        reason: `${failures.length} of ${stats.membershipSize} Redis servers failed: ${reasons}`,
      };
    }
    return { kind: "held" };
  }

  /** Extends the lease before it runs out; aborts `controller` when that is no longer possible. */
  private keepExtended(initial: Lock, controller: AbortController): { stop(): Promise<Lock> } {
    let lock = initial;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let inFlight: Promise<void> = Promise.resolve();
    const schedule = (delay: number): void => {
      if (stopped) return;
      timer = setTimeout(
        () => {
          inFlight = extend();
        },
        Math.max(0, delay),
      );
    };
    const extend = async (): Promise<void> => {
      if (stopped) return;
      try {
        lock = await lock.extend(this.ttlMs);
        schedule(lock.expiration - Date.now() - this.extendBeforeMs);
      } catch (error) {
        if (lock.expiration > Date.now() + 50) {
          schedule(50);
          return;
        }
        controller.abort(new RoutingError("aborted", `project lock lease lost: ${(error as Error).message}`));
      }
    };
    schedule(lock.expiration - Date.now() - this.extendBeforeMs);
    const cap = setTimeout(() => {
      stopped = true;
      clearTimeout(timer);
      controller.abort(new RoutingError("aborted", `project lock held longer than ${this.maxHoldMs} ms: let go`));
      void inFlight.then(() => this.redlock.release(lock)).catch(() => undefined);
    }, this.maxHoldMs);
    return {
      async stop() {
        stopped = true;
        clearTimeout(timer);
        clearTimeout(cap);
        await inFlight;
        return lock;
      },
    };
  }
}
