import { setTimeout as sleepUntilAborted } from "node:timers/promises";
import { backoffDelayMs, type Backoff } from "@hydra/db/backoff";
import type { DriverEvent } from "./driver";
import { ClusterError, errorFromResponse } from "./errors";
import type { KubeHttp, Query, WatchEvent } from "./kube-http";

/** What a reflector keeps: objects by name. */
export interface Named {
  metadata: { name: string; resourceVersion?: string };
}

/** What every reflector of a driver shares. */
export interface ReflectorContext {
  /** Asked of the server for each watch; the client gives up on a silent one 30 s after. */
  watchTimeoutSeconds: number;
  emit: (event: DriverEvent) => void;
}

export interface ReflectInput<T extends Named> {
  region: string;
  path: string;
  query: Query;
  /** Kept equal to the collection. */
  items: Map<string, T>;
  /** Names the collection in errors and events. */
  what: string;
  /** Ends the reflector (it resolves). */
  signal: AbortSignal;
  /** The last transient failure while retrying; cleared once a list or watch works. */
  lastError: { error?: unknown };
}

/** A lost watch or list is retried after 50–100 ms, then twice that each time, up to 5 s (⅔ to 4⁄3 of 75·2ⁿ ms). */
const WATCH_RETRY: Backoff = { initialMs: 75, factor: 2, maxMs: 5_000, jitter: 1 / 3 };

/**
 * Keeps `items` equal to a collection, as client-go's Reflector does: lists it, then watches
 * from the list's resourceVersion, resuming a watch the server ended (or that dropped) from the
 * last resourceVersion seen and listing again when that is too old (410). Calls `onChange`
 * after the list and after every event. Resolves once `signal` aborts; rejects with a terminal
 * ClusterError.
 */
export async function reflect<T extends Named>(
  client: KubeHttp,
  context: ReflectorContext,
  input: ReflectInput<T>,
  onChange: () => void,
): Promise<void> {
  const { region, path, query, items, what, signal } = input;
  const { emit, watchTimeoutSeconds } = context;
  let resourceVersion = "";
  let list = true;
  let reason: "initial" | "resume" | "relist" = "initial";
  for (let attempt = 0; !signal.aborted;) {
    try {
      if (list) {
        const response = await client.request<{ metadata: { resourceVersion: string }; items: T[] }>("GET", path, {
          query,
          signal,
          what: `list ${what}`,
        });
        items.clear();
        for (const item of response.body.items) items.set(item.metadata.name, item);
        resourceVersion = response.body.metadata.resourceVersion;
        list = false;
        input.lastError.error = undefined;
        onChange();
        if (signal.aborted) return;
      }
      emit({ type: "watch-start", region, path, resourceVersion, reason });
      await client.watch(
        path,
        { ...query, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: watchTimeoutSeconds },
        (event: WatchEvent<T>) => {
          if (event.type === "ERROR") {
            throw errorFromResponse({
              region,
              status: event.object?.code ?? 500,
              body: event.object,
              what: `watch ${what}`,
            });
          }
          const rv = event.object?.metadata?.resourceVersion;
          if (event.type !== "BOOKMARK") {
            const name = event.object.metadata.name;
            if (event.type === "DELETED") items.delete(name);
            else items.set(name, event.object);
          }
          if (rv) resourceVersion = rv;
          attempt = 0; // the watch works
          input.lastError.error = undefined;
          if (event.type !== "BOOKMARK") onChange();
        },
        { signal, idleTimeoutMs: (watchTimeoutSeconds + 30) * 1000, what: `watch ${what}` },
      );
      // The server ended the watch (its timeout, a restart): resume where it stopped.
      emit({ type: "watch-end", region, path, resourceVersion });
      reason = "resume";
    } catch (error) {
      if (signal.aborted) return;
      if (!(error instanceof ClusterError)) throw error;
      emit({ type: "watch-end", region, path, resourceVersion, error: error.message });
      if (error.kind === "gone") {
        // Our resourceVersion is older than the server keeps: list again, then watch from there.
        emit({ type: "relist", region, path, reason: error.message });
        list = true;
        reason = "relist";
        continue;
      }
      if (!error.transient) throw error;
      input.lastError.error = error;
      const delayMs = Math.max(error.retryAfterMs ?? 0, backoffDelayMs(WATCH_RETRY, attempt++ + 1));
      emit({ type: "retry", region, what: `watch ${what}`, error: error.message, delayMs });
      await sleepUntilAborted(delayMs, undefined, { signal }).catch(() => undefined);
      reason = list ? "initial" : "resume";
    }
  }
}
