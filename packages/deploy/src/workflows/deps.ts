import { Code } from "@connectrpc/connect";
import type { ClusterDriver, Resources } from "@hydra/cluster";
import type { Pool } from "@hydra/db";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GatewayConfigSchema } from "@hydra/proto/hydra/v1";
import type { RoutingClient } from "@hydra/routing/client";
import type { WorkflowEngine } from "@hydra/workflow";
import { errorCodeOfNumber, isRetryable, numberOfErrorCode } from "@hydra/db/errors";
import { TerminalError, type ErrorCode, type StepContext } from "@hydra/workflow";
import { setTimeout as sleep } from "node:timers/promises";
import type { DeploymentSource } from "../sql/rows";

/** What the Deploy, Rollback, Promote and Standby workflows run against. */

/** Turns a deployment's source into the image that runs (packages/build). */
export interface ImageBuilder {
  build(
    request: {
      deploymentId: string;
      workspaceId: string;
      workspaceSlug: string;
      projectId: string;
      projectSlug: string;
      source: DeploymentSource;
      /** The build an earlier attempt started: wait for it rather than start another. */
      previousBuildId?: string;
    },
    options: { signal: AbortSignal; deadline: Date; onBuildStarted?: (buildId: string) => Promise<void> },
  ): Promise<{ image: string }>;
}

/** The RoutingService calls the workflows make: packages/routing's client. */
export type Router = Pick<RoutingClient, "assignDomains" | "switchDomains">;

/** A deployment's gateway config as the Deploy workflow builds it (hydra.v1.GatewayConfig). */
export type GatewayConfigInit = Omit<MessageInitShape<typeof GatewayConfigSchema>, "$typeName">;

export interface DeploySettings {
  /** HYDRA_DEFAULT_DOMAIN */
  apex: string;
  /** HYDRA_READY_TIMEOUT */
  readyTimeoutMs: number;
  /** HYDRA_STANDBY_DELAY */
  standbyDelayMs: number;
  /** How long one build may take. */
  buildTimeoutMs: number;
  /** The application's port (env PORT). */
  appPort: number;
  sentinel: {
    image: string;
    port: number;
    replicas: { production: number; preview: number };
    /** HYDRA_SENTINEL_CPU / HYDRA_SENTINEL_MEMORY; absent: the driver's default. */
    resources?: Resources;
  };
  /**
   * Fault injection for crash tests only (HYDRA_TEST_STEP_DELAY, e.g. "build=2000,assign-routes=500"):
   * a step waits this long before its body, so a test can kill the process while it runs.
   */
  testStepDelayMs?: Record<string, number>;
}

export interface DeployDeps {
  pool: Pool;
  cluster: ClusterDriver;
  router: Router;
  builder: ImageBuilder;
  engine: WorkflowEngine;
  settings: DeploySettings;
}

/**
 * Whether a step error is final: a TerminalError, or not retryable by the one predicate in
 * @hydra/db (cluster and build errors say so themselves with `transient`; RoutingService
 * answers by code: only `unavailable`-like codes are worth retrying).
 */
export function isTerminalError(error: unknown): boolean {
  return error instanceof TerminalError || !isRetryable(error);
}

/**
 * A terminal refusal with the Connect code the synchronous RPCs (Rollback, Promote) answer
 * with: the engine stores the code in a column of its own (errors as data).
 */
export function codedTerminal(code: Code, message: string): TerminalError {
  return new TerminalError(message, { code: errorCodeOfNumber(code), kind: "refused" });
}

/** The Connect error a failed run answers with: its recorded code, or aborted when it had none. */
export function codeOfFailure(outcome: { error: string; code: ErrorCode | null }): { code: Code; message: string } {
  return { code: outcome.code ? (numberOfErrorCode(outcome.code) as Code) : Code.Aborted, message: outcome.error };
}

/** Wraps a step body with the crash-test delay configured for `name` (none in production). */
export function withTestDelay<T>(
  settings: DeploySettings,
  name: string,
  fn: (step: StepContext) => Promise<T>,
): (step: StepContext) => Promise<T> {
  const delayMs = settings.testStepDelayMs?.[name] ?? 0;
  if (delayMs <= 0) return fn;
  return async (step) => {
    await sleep(delayMs, undefined, { signal: step.signal });
    return fn(step);
  };
}

/** A failure as stored for people: "failed_precondition: …", the code before the message. */
export function failureReason(error: TerminalError): string {
  return error.code ? `${error.code}: ${error.message}` : error.message;
}
