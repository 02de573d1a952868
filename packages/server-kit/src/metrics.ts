import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

/** Prometheus metrics of one server process, served on /metrics. */
export class RpcMetrics {
  readonly registry = new Registry();
  private readonly duration: Histogram<"method" | "code">;
  private readonly total: Counter<"method" | "code">;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.duration = new Histogram({
      name: "hydra_rpc_duration_seconds",
      help: "RPC handling time by method and Connect code",
      labelNames: ["method", "code"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.total = new Counter({
      name: "hydra_rpc_total",
      help: "RPCs handled by method and Connect code",
      labelNames: ["method", "code"],
      registers: [this.registry],
    });
  }

  observe(method: string, code: string, seconds: number): void {
    this.duration.observe({ method, code }, seconds);
    this.total.inc({ method, code });
  }
}
