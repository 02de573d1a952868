import type { RoutingClient } from "@hydra/routing/client";
import { isLocalHostname } from "@hydra/routing/hostname";
import { RouteStreamGapError, RouteTable, type RouteTarget } from "@hydra/routing/route-table";
import type { Logger } from "@hydra/server-kit/logger";
import { backoffDelayMs, type Backoff } from "@hydra/db/backoff";
import type { EdgeMaps } from "./edge-maps";
import type { FrontlineMetrics } from "./frontline-metrics";
import type { SentinelResolver } from "./map-entry";
import type { PositionStore } from "./position-store";

/** Reconnecting to the route stream: 50–150 ms at first, doubling, at most 2 s. */
const RECONNECT: Backoff = { initialMs: 100, factor: 2, maxMs: 2_000, jitter: 0.5 };
/** Retrying a failed HAProxy update: 50 ms, doubling, at most 2 s. */
const REAPPLY: Backoff = { initialMs: 50, factor: 2, maxMs: 2_000, jitter: 0 };

export interface AgentOptions {
  client: Pick<RoutingClient, "watchRoutes">;
  maps: EdgeMaps;
  resolver: SentinelResolver;
  positions: PositionStore;
  metrics: FrontlineMetrics;
  logger: Logger;
  region: string;
  defaultDomain: string;
  haproxyPid: number;
  /** The position HAProxy's maps already reflect (adopted), or 0 to start from a snapshot. */
  startPosition: bigint;
}

/**
 * Streams routes from routing-svc into HAProxy. The stream feeds a RouteTable (what should be
 * served); an applier brings HAProxy to it: a snapshot replaces the maps, changes are coalesced
 * into one update of the hostnames they touched (each commit stays whole: an update covers
 * every commit up to the table's position). Reconnects with backoff and resumes from the
 * table's position; a gap (or a refused update) starts again from a snapshot.
 */
export class FrontlineAgent {
  private table: RouteTable;
  private readonly dirty = new Set<string>();
  private fullSync = false;
  private lastGeneration = 0n;
  private lastCommittedAtMs = 0;
  private appliedPosition: bigint;
  private synced: boolean;
  private wakeApplier: (() => void) | undefined;
  private readonly controller = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(private readonly options: AgentOptions) {
    this.table = new RouteTable(options.startPosition);
    this.appliedPosition = options.startPosition;
    this.synced = options.startPosition > 0n;
  }

  /** Serving a known table (adopted, or a snapshot applied). */
  get ready(): boolean {
    return this.synced;
  }

  get position(): bigint {
    return this.appliedPosition;
  }

  start(): void {
    this.loops = [this.streamLoop(), this.applyLoop()];
  }

  async stop(): Promise<void> {
    this.controller.abort();
    this.wakeApplier?.();
    await Promise.allSettled(this.loops);
  }

  private async streamLoop(): Promise<void> {
    const { logger, metrics } = this.options;
    const signal = this.controller.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const from = this.table.position;
        logger.info(
          { after_position: from.toString(), region: this.options.region },
          from === 0n ? "route stream: starting from a snapshot" : "route stream: resuming",
        );
        for await (const message of this.options.client.watchRoutes(
          { region: this.options.region, afterPosition: from },
          { signal },
        )) {
          metrics.connected.set(1);
          failures = 0;
          this.receive(message);
        }
      } catch (error) {
        if (signal.aborted) break;
        metrics.connected.set(0);
        if (error instanceof RouteStreamGapError) {
          logger.warn({ err: error.message }, "route stream: gap, starting again from a snapshot");
          this.table = new RouteTable(0n);
          continue;
        }
        const retryMs = backoffDelayMs(RECONNECT, ++failures);
        logger.warn(
          { err: error instanceof Error ? error.message : String(error), retry_ms: retryMs },
          "route stream lost; HAProxy keeps serving the last routes",
        );
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
    metrics.connected.set(0);
  }

  private receive(message: Parameters<RouteTable["apply"]>[0]): void {
    const update = this.table.apply(message);
    const { metrics } = this.options;
    switch (update.kind) {
      case "snapshot":
        this.fullSync = true;
        this.dirty.clear();
        metrics.headPosition.set(Number(update.position));
        break;
      case "change":
        for (const route of update.routes) this.dirty.add(route.hostname);
        for (const hostname of update.removed) this.dirty.add(hostname);
        if (message.event.case === "change") this.lastGeneration = message.event.value.routingGeneration;
        this.lastCommittedAtMs = Number(update.committedAtMs);
        metrics.headPosition.set(Number(update.position));
        break;
      case "heartbeat":
        metrics.headPosition.set(Number(update.headPosition));
        break;
      case "pending":
        return;
    }
    metrics.positionLag.set(Math.max(0, Number(this.table.position - this.appliedPosition)));
    this.wakeApplier?.();
  }

  /**
   * What HAProxy must get to reach the table's position: the map values of every hostname
   * (full) or of the dirty ones, made in one synchronous pass so they are one position's, each
   * distinct target's value made once. Undefined, with nothing taken, while a sentinel name is
   * unresolved (`missing`).
   */
  private capture(missing: Set<string>): Capture | undefined {
    const { resolver, defaultDomain } = this.options;
    const routes = this.table.routes;
    const full = this.fullSync;
    const hostnames = full ? routes.keys() : this.dirty.values();
    const valueOf = new Map<RouteTarget, string | undefined>();
    const values = new Map<string, string>();
    const removals: string[] = [];
    for (const hostname of hostnames) {
      const target = isLocalHostname(hostname, defaultDomain) ? undefined : routes.get(hostname);
      let value: string | undefined;
      if (target) {
        if (valueOf.has(target)) value = valueOf.get(target);
        else {
          const host = resolver.unresolvedHost(target);
          if (host) missing.add(host);
          else valueOf.set(target, (value = resolver.valueOf(target)));
        }
      }
      if (value) values.set(hostname, value);
      else if (!full) removals.push(hostname);
    }
    if (missing.size > 0) return undefined;
    const capture = {
      position: this.table.position,
      full,
      values,
      removals,
      hostnames: full ? routes.size : this.dirty.size,
      generation: this.lastGeneration,
      committedAtMs: this.lastCommittedAtMs,
    };
    this.fullSync = false;
    this.dirty.clear();
    return capture;
  }

  private async applyLoop(): Promise<void> {
    const { maps, metrics, logger, positions, resolver } = this.options;
    const signal = this.controller.signal;
    let failures = 0;
    while (!signal.aborted) {
      if (!this.fullSync && this.dirty.size === 0) {
        await new Promise<void>((resolve) => (this.wakeApplier = resolve));
        this.wakeApplier = undefined;
        continue;
      }
      try {
        const missing = new Set<string>();
        let capture: Capture | undefined;
        while (!(capture = this.capture(missing))) {
          await resolver.resolve(missing);
          missing.clear();
        }
        const { position, full, values, removals } = capture;
        const changes = Number(position - this.appliedPosition);
        if (full) {
          const started = performance.now();
          await maps.replaceAll(values, () => {
            // HAProxy answers from the new table now; the other map catches up before any change.
            this.synced = true;
            logger.info(
              { position: position.toString(), routes: values.size, load_ms: Math.round(performance.now() - started) },
              "snapshot serving",
            );
          });
        } else await maps.update(values, removals);
        this.appliedPosition = position;
        this.synced = true;
        await positions.save({ position, haproxyPid: this.options.haproxyPid });
        if (full) metrics.snapshots.inc();
        else metrics.appliedChanges.inc(Math.max(0, changes));
        if (!full && capture.committedAtMs > 0)
          metrics.commitToEdge.observe(Math.max(0, Date.now() - capture.committedAtMs) / 1000);
        metrics.appliedPosition.set(Number(position));
        metrics.lastGeneration.set(Number(capture.generation));
        metrics.routes.set(maps.size);
        metrics.positionLag.set(Math.max(0, Number(this.table.position - position)));
        logger.info(
          { position: position.toString(), full, hostnames: capture.hostnames, routes: maps.size },
          full ? "snapshot applied" : "routes applied",
        );
        failures = 0;
      } catch (error) {
        metrics.applyFailures.inc();
        // HAProxy's maps may be half-written on one side: rewrite everything next time.
        this.fullSync = true;
        const retryMs = backoffDelayMs(REAPPLY, ++failures);
        logger.error(
          { err: error instanceof Error ? error.message : String(error), retry_ms: retryMs },
          "HAProxy update failed; retrying with the whole table",
        );
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
  }
}

/** One position of the table as HAProxy map values (FrontlineAgent.capture). */
interface Capture {
  position: bigint;
  full: boolean;
  /** Hostname → map value: every served hostname (full), or the dirty ones still served. */
  values: Map<string, string>;
  /** Dirty hostnames no longer served (empty when full). */
  removals: string[];
  hostnames: number;
  generation: bigint;
  committedAtMs: number;
}
