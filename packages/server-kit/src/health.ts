import type { ConnectRouter } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { healthV1 } from "@hydra/proto/grpc";

const { Health, HealthCheckResponse_ServingStatus: Status } = healthV1;

/**
 * grpc.health.v1.Health. The overall status ("") and each registered service are SERVING
 * while the server runs and NOT_SERVING once shutdown begins, so load balancers drain us.
 */
export class HealthService {
  private serving = true;
  private readonly watchers = new Set<() => void>();

  constructor(private readonly services: string[]) {}

  setServing(serving: boolean): void {
    this.serving = serving;
    for (const wake of this.watchers) wake();
  }

  private status(service: string): healthV1.HealthCheckResponse_ServingStatus {
    if (service !== "" && !this.services.includes(service)) return Status.SERVICE_UNKNOWN;
    return this.serving ? Status.SERVING : Status.NOT_SERVING;
  }

  register(router: ConnectRouter): void {
    router.service(Health, {
      check: (req) => {
        const status = this.status(req.service);
        if (status === Status.SERVICE_UNKNOWN)
          throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
        return { status };
      },
      watch: (req, ctx) => this.watch(req.service, ctx.signal),
    });
  }

  private async *watch(
    service: string,
    signal: AbortSignal,
  ): AsyncGenerator<{ status: healthV1.HealthCheckResponse_ServingStatus }> {
    let last: healthV1.HealthCheckResponse_ServingStatus | undefined;
    while (!signal.aborted) {
      const status = this.status(service);
      if (status !== last) {
        last = status;
        yield { status };
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.watchers.delete(wake);
          signal.removeEventListener("abort", wake);
          resolve();
        };
        this.watchers.add(wake);
        signal.addEventListener("abort", wake);
      });
    }
  }
}
