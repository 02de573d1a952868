import { Code, ConnectError } from "@connectrpc/connect";
import type { ClusterDriver } from "@hydra/cluster";
import type { Pool } from "@hydra/db";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GatewayConfigSchema } from "@hydra/proto/hydra/v1";
import type { RoutingClient } from "@hydra/routing/client";
import type { WorkflowEngine } from "@hydra/workflow";
import { TerminalError, type StepContext } from "@hydra/workflow";
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
  sentinel: { image: string; port: number; replicas: { production: number; preview: number } };
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

const TRANSIENT_CODES = new Set([Code.Unavailable, Code.Aborted, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Unknown, Code.Internal]);

/**
 * Whether a step error is final. Cluster and build errors say so themselves (`transient`);
 * RoutingService answers by code: only `unavailable`-like codes are worth retrying.
 */
export function isTerminalError(error: unknown): boolean {
  if (error instanceof TerminalError) return true;
  if (typeof error === "object" && error !== null && typeof (error as { transient?: unknown }).transient === "boolean") {
    return !(error as { transient: boolean }).transient;
  }
  if (error instanceof ConnectError) return !TRANSIENT_CODES.has(error.code);
  return false;
}

/**
 * A terminal error that carries the Connect code the synchronous RPCs (Rollback, Promote)
 * answer with: the engine records only a message, so the code travels as its prefix.
 */
export function codedTerminal(code: Code, message: string): TerminalError {
  return new TerminalError(`[${Code[code]}] ${message}`);
}

export function codeOfFailure(message: string): { code: Code; message: string } {
  const match = /^(?:TerminalError: )?\[([A-Za-z]+)\] ([\s\S]*)$/.exec(message);
  const code = match ? Code[match[1] as keyof typeof Code] : undefined;
  if (match && typeof code === "number") return { code, message: match[2]! };
  return { code: Code.Aborted, message };
}

/** Wraps a step body with the crash-test delay configured for `name` (none in production). */
export function withTestDelay<T>(settings: DeploySettings, name: string, fn: (step: StepContext) => Promise<T>): (step: StepContext) => Promise<T> {
  const delayMs = settings.testStepDelayMs?.[name] ?? 0;
  if (delayMs <= 0) return fn;
  return async (step) => {
    await sleep(delayMs, undefined, { signal: step.signal });
    return fn(step);
  };
}

/** A failure as stored for people: "failed_precondition: …" rather than the coded form. */
export function failureReason(message: string): string {
  const match = /^(?:TerminalError: )?\[([A-Za-z]+)\] ([\s\S]*)$/.exec(message);
  if (!match) return message;
  const snake = match[1]!.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
  return `${snake}: ${match[2]}`;
}
