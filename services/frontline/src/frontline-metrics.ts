import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** The agent's Prometheus metrics (served on the admin address's /metrics). */
export class FrontlineMetrics {
  readonly registry = new Registry();
  readonly appliedPosition = new Gauge({
    name: "hydra_frontline_applied_position",
    help: "Route stream position HAProxy's maps reflect",
    registers: [this.registry],
  });
  readonly headPosition = new Gauge({
    name: "hydra_frontline_head_position",
    help: "Newest route stream position seen from routing-svc",
    registers: [this.registry],
  });
  readonly positionLag = new Gauge({
    name: "hydra_frontline_position_lag",
    help: "Route changes received or announced but not yet applied to HAProxy",
    registers: [this.registry],
  });
  readonly lastGeneration = new Gauge({
    name: "hydra_frontline_last_applied_routing_generation",
    help: "Routing generation of the last applied change (per project, so the last one seen)",
    registers: [this.registry],
  });
  readonly appliedChanges = new Counter({
    name: "hydra_frontline_applied_changes_total",
    help: "Routing commits applied to HAProxy",
    registers: [this.registry],
  });
  readonly snapshots = new Counter({
    name: "hydra_frontline_snapshots_total",
    help: "Full route snapshots loaded into HAProxy",
    registers: [this.registry],
  });
  readonly applyFailures = new Counter({
    name: "hydra_frontline_apply_failures_total",
    help: "HAProxy updates that failed (retried)",
    registers: [this.registry],
  });
  readonly routes = new Gauge({
    name: "hydra_frontline_routes",
    help: "Hostnames routed by HAProxy",
    registers: [this.registry],
  });
  readonly connected = new Gauge({
    name: "hydra_frontline_stream_connected",
    help: "1 while the route stream is connected",
    registers: [this.registry],
  });
  readonly commitToEdge = new Histogram({
    name: "hydra_frontline_commit_to_edge_seconds",
    help: "From a routing commit to HAProxy serving it",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });

  constructor() {
    this.registry.setDefaultLabels({ service: "frontline" });
    collectDefaultMetrics({ register: this.registry });
  }
}
