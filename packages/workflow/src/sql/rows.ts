import type { Pool, PoolClient } from "@hydra/db";
import type { ErrorCode } from "@hydra/db/errors";
import type { CancelKind, FailureKind } from "../errors";

/** Anything that runs a query: the pool, or a client inside a transaction. */
export type Queryable = Pick<Pool, "query"> | Pick<PoolClient, "query">;

export type RunStatus = "pending" | "running" | "sleeping" | "paused" | "completed" | "failed" | "cancelled";
export type StepStatus = "running" | "completed" | "failed";

export const TERMINAL_STATUSES: readonly RunStatus[] = ["completed", "failed", "cancelled"];

/** Notifications all travel on one channel as JSON `{ event, id, kind }`. */
export const CHANNEL = "hydra_workflow";
export type NotifyEvent = "ready" | "ended" | "cancel";

/** SQL fragment that announces `event` for each row of `source` (a CTE with id and kind). */
export function notifySql(event: NotifyEvent | string): string {
  const eventSql = event.startsWith("CASE") ? event : `'${event}'`;
  return `pg_notify('${CHANNEL}', json_build_object('event', ${eventSql}, 'id', id, 'kind', kind)::text)`;
}

export interface RunRow {
  id: string;
  kind: string;
  key: string;
  input: unknown;
  input_hash: string;
  status: RunStatus;
  output: unknown;
  error: string | null;
  error_code: ErrorCode | null;
  error_kind: FailureKind | null;
  owner: string | null;
  epoch: bigint;
  lease_expires_at: Date | null;
  wake_at: Date | null;
  deadline_at: Date | null;
  cancel_requested_at: Date | null;
  cancel_reason: string | null;
  cancel_kind: CancelKind | null;
  created_at: Date;
  updated_at: Date;
  ended_at: Date | null;
}

export interface StepRow {
  run_id: string;
  sequence: number;
  name: string;
  status: StepStatus;
  attempts: number;
  output: unknown;
  error: string | null;
  error_code: ErrorCode | null;
  error_kind: "refused" | "failed" | null;
  started_at: Date;
  ended_at: Date | null;
  /** SQL NULL (the step returned undefined), as opposed to JSON null. */
  output_missing: boolean;
}

/** JSON for a jsonb parameter: `undefined` becomes SQL NULL (replayed as undefined), `null` stays JSON null. */
export function toJsonParam(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
