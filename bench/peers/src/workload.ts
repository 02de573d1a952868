// The one workload every engine runs: a workflow of 10 no-op steps, started and awaited by id.
import { percentile } from "../../report";

export const STEPS = 10;

/** One engine under test, started in this process. */
export interface Peer {
  name: string;
  /** Starts the workflow with this id and resolves once it has completed. */
  runWorkflow(id: string): Promise<void>;
  stop(): Promise<void>;
}

export interface Throughput {
  workflowsPerS: number;
  p50Ms: number;
  p99Ms: number;
}

/** `count` workflows, `concurrency` at a time; latency is start → completed, per workflow. */
export async function measure(peer: Peer, prefix: string, count: number, concurrency: number): Promise<Throughput> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const id = `${prefix}-${next++}`;
        const t0 = performance.now();
        await peer.runWorkflow(id);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1e3;
  return { workflowsPerS: count / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

export function median(values: number[]): number {
  return percentile(values, 50);
}
