/**
 * A project's regions map (region → replicas) checked against the regions hydra has
 * clusters for. Empty means every configured region with one replica.
 */
export const MAX_REPLICAS = 100;

export type Regions = Record<string, number>;

export type RegionsResult = { ok: true; regions: Regions } | { ok: false; problem: string };

export function resolveRegions(requested: Regions, configured: readonly string[]): RegionsResult {
  const entries = Object.entries(requested);
  if (entries.length === 0) {
    if (configured.length === 0) return { ok: false, problem: "no cluster region is configured (HYDRA_CLUSTERS)" };
    return { ok: true, regions: Object.fromEntries([...configured].sort().map((r) => [r, 1])) };
  }
  for (const [region, replicas] of entries) {
    if (!configured.includes(region)) {
      return {
        ok: false,
        problem: `region "${region}" has no cluster configured; configured regions: ${configured.join(", ") || "none"}`,
      };
    }
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS) {
      return { ok: false, problem: `region "${region}": replicas must be 1-${MAX_REPLICAS}, got ${replicas}` };
    }
  }
  return { ok: true, regions: Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b))) };
}
