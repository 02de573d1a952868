import type { ErrorCode } from "@hydra/db/errors";

/**
 * Errors of the cluster drivers, as data: `code` is the project's one vocabulary (@hydra/db's
 * snake_case Connect code names), `kind` the Kubernetes-specific distinction the drivers act
 * on (a `gone` watch relists, a `not_found` scale to zero is done), `transient` the retry verdict.
 *
 * `transient: true`  — retry with backoff: 5xx, 429, 409 conflicts, 410, timeouts, connection
 *                      errors, 401 (rotated credentials).
 * `transient: false` — fail the step: 400, 403, 404, 405, 406, 413, 415, 422, TLS verification
 *                      failures, configuration errors, a missed readiness deadline, pods refused by
 *                      admission (kind `refused`, the refusing policy in the message).
 */
export const CLUSTER_ERROR_CODES = {
  bad_request: "invalid_argument",
  unauthorized: "unauthenticated",
  forbidden: "permission_denied",
  not_found: "not_found",
  method_not_allowed: "unimplemented",
  not_acceptable: "unimplemented",
  already_exists: "already_exists",
  conflict: "aborted",
  /** 410: the watch's resourceVersion is older than the server keeps. */
  gone: "failed_precondition",
  request_entity_too_large: "invalid_argument",
  unsupported_media_type: "unimplemented",
  invalid: "invalid_argument",
  too_many_requests: "resource_exhausted",
  internal_error: "internal",
  service_unavailable: "unavailable",
  timeout: "deadline_exceeded",
  network: "unavailable",
  tls: "failed_precondition",
  deadline_exceeded: "deadline_exceeded",
  aborted: "canceled",
  /** The API server does not serve the resource (a CRD such as Cilium's is not installed). */
  not_served: "failed_precondition",
  configuration: "failed_precondition",
  unknown_region: "failed_precondition",
  /** Admission refuses the workload's pods (PodSecurity, ResourceQuota, LimitRange, a webhook): seen on its ReplicaSet. */
  refused: "failed_precondition",
  /** The namespace is being deleted: nothing can be created in it until it is gone (transient). */
  terminating: "unavailable",
  unknown: "unknown",
} as const satisfies Record<string, ErrorCode>;

export type ClusterErrorKind = keyof typeof CLUSTER_ERROR_CODES;

/** One `details.causes[]` entry of a Kubernetes `Status`. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** The `Status` object the API server answers errors with. */
export interface KubeStatus {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
}

export interface ClusterErrorInit {
  kind: ClusterErrorKind;
  transient: boolean;
  region?: string;
  /** HTTP status code, when the error came from the API server. */
  status?: number;
  /** `Status.reason`, e.g. `Invalid`, `NotFound`, `Conflict`. */
  reason?: string;
  causes?: StatusCause[];
  retryAfterMs?: number;
  cause?: unknown;
}

export class ClusterError extends Error {
  override readonly name: string = "ClusterError";
  /** The shared code (@hydra/db/errors), from `kind`. */
  readonly code: ErrorCode;
  readonly kind: ClusterErrorKind;
  /** True: retrying the same call may succeed. False: it will fail the same way. */
  readonly transient: boolean;
  readonly region?: string;
  readonly status?: number;
  readonly reason?: string;
  readonly causes: StatusCause[];
  /** The first field the server named (422 Invalid), e.g. `spec.template.spec.containers[0].image`. */
  readonly field?: string;
  readonly retryAfterMs?: number;

  constructor(message: string, init: ClusterErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.code = CLUSTER_ERROR_CODES[init.kind];
    this.transient = init.transient;
    this.region = init.region;
    this.status = init.status;
    this.reason = init.reason;
    this.causes = init.causes ?? [];
    this.field = this.causes.find((c) => c.field)?.field;
    this.retryAfterMs = init.retryAfterMs;
  }

  /** A plain object for logs and for the workflow's step error record. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      code: this.code,
      kind: this.kind,
      transient: this.transient,
      region: this.region,
      status: this.status,
      reason: this.reason,
      field: this.field,
      causes: this.causes.length > 0 ? this.causes : undefined,
    };
  }
}

export function isClusterError(error: unknown): error is ClusterError {
  return error instanceof ClusterError;
}

/** Waiting for ready instances ran past its deadline. Terminal: the deployment fails. */
export class ClusterDeadlineError extends ClusterError {
  override readonly name = "ClusterDeadlineError";
  readonly ready: number;
  readonly required: number;
  readonly deadline: Date;
  /** Why instances were not ready, most frequent first, e.g. `2 × CrashLoopBackOff`. */
  readonly problems: string[];
  /** What was awaited when it is not the deployment's workload, e.g. `sentinel ws-x/sentinel-env-y`. */
  readonly subject: string | undefined;

  constructor(init: {
    region: string;
    ready: number;
    required: number;
    deadline: Date;
    problems: string[];
    subject?: string;
    cause?: unknown;
  }) {
    const why = init.problems.length > 0 ? `; not ready: ${init.problems.join(", ")}` : "";
    const subject = init.subject ? `${init.subject}: ` : "";
    super(
      `region ${init.region}: ${subject}${init.ready} of ${init.required} required instances ready at the deadline ${init.deadline.toISOString()}${why}`,
      { kind: "deadline_exceeded", transient: false, region: init.region, cause: init.cause },
    );
    this.subject = init.subject;
    this.ready = init.ready;
    this.required = init.required;
    this.deadline = init.deadline;
    this.problems = init.problems;
  }
}

/** The classification of an HTTP status (and `Status.reason`/message) from the API server. */
export function classifyHttpStatus(
  status: number,
  reason?: string,
  message?: string,
  causes?: StatusCause[],
): { kind: ClusterErrorKind; transient: boolean } {
  switch (status) {
    case 400:
      return { kind: "bad_request", transient: false };
    case 401:
      // Credentials rotate (projected service-account tokens, exec plugins); the next request
      // re-reads them. If they are wrong for good, the workflow's retry budget pauses the run.
      return { kind: "unauthorized", transient: true };
    case 403:
      // Creating in a namespace that is being deleted: it will be gone (and can be made anew) soon.
      if (causes?.some((c) => c.reason === "NamespaceTerminating")) return { kind: "terminating", transient: true };
      return { kind: "forbidden", transient: false };
    case 404:
      return { kind: "not_found", transient: false };
    case 405:
      return { kind: "method_not_allowed", transient: false };
    case 406:
      return { kind: "not_acceptable", transient: false };
    case 409:
      // AlreadyExists (a create raced another) and Conflict (stale resourceVersion, or field
      // managers) both succeed on a fresh attempt; apply with force never has field conflicts.
      return { kind: reason === "AlreadyExists" ? "already_exists" : "conflict", transient: true };
    case 410:
      return { kind: "gone", transient: true };
    case 413:
      return { kind: "request_entity_too_large", transient: false };
    case 415:
      return { kind: "unsupported_media_type", transient: false };
    case 422:
      return { kind: "invalid", transient: false };
    case 429:
      return { kind: "too_many_requests", transient: true };
    case 500:
      // Server-side apply answers 500 (no reason) when the applied object has a field its
      // schema does not declare or a value of the wrong type: the request is wrong, not the
      // server (kubernetes/kubernetes#122480), and retrying cannot help.
      if (message?.includes("failed to create typed patch object")) return { kind: "invalid", transient: false };
      return { kind: "internal_error", transient: true };
    case 503:
      return { kind: "service_unavailable", transient: true };
    case 504:
      return { kind: "timeout", transient: true };
    default:
      if (status >= 500) return { kind: "internal_error", transient: true };
      return { kind: "unknown", transient: false };
  }
}

/** The error the API server answered with: the `Status` body when there is one. */
export function errorFromResponse(input: {
  region: string;
  status: number;
  body: unknown;
  retryAfter?: string | undefined;
  what?: string;
}): ClusterError {
  const status = isKubeStatus(input.body) ? input.body : undefined;
  const text = typeof input.body === "string" ? input.body.trim().slice(0, 300) : undefined;
  const message = status?.message ?? (text || `HTTP ${input.status}`);
  const { kind, transient } = classifyHttpStatus(
    input.status,
    status?.reason,
    status?.message,
    status?.details?.causes,
  );
  const retryAfterSeconds =
    status?.details?.retryAfterSeconds ?? (input.retryAfter ? Number(input.retryAfter) : undefined);
  const prefix = input.what ? `region ${input.region}: ${input.what}: ` : `region ${input.region}: `;
  // RBAC names the missing verb and resource; say where hydra's needs are written down.
  const hint = kind === "forbidden" ? " (hydra's role needs the verbs in deploy/rbac.yaml)" : "";
  return new ClusterError(`${prefix}${message}${hint}`, {
    kind,
    transient,
    region: input.region,
    status: input.status,
    reason: status?.reason,
    causes: status?.details?.causes,
    retryAfterMs:
      retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) ? retryAfterSeconds * 1000 : undefined,
  });
}

function isKubeStatus(body: unknown): body is KubeStatus {
  return typeof body === "object" && body !== null && (body as KubeStatus).kind === "Status";
}

const TRANSIENT_NETWORK = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ERR_SOCKET_CONNECTION_TIMEOUT",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

const TLS_CODES =
  /^(CERT_|ERR_TLS_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)_|ERR_SSL_)/;

/** Classification of a failure below HTTP: connection, DNS, TLS, timeouts. */
export function classifyNetworkError(error: unknown): { kind: ClusterErrorKind; transient: boolean } {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    if (TLS_CODES.test(code)) return { kind: "tls", transient: false };
    if (TRANSIENT_NETWORK.has(code)) return { kind: code === "ETIMEDOUT" ? "timeout" : "network", transient: true };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/socket hang up|other side closed|premature close/i.test(message)) return { kind: "network", transient: true };
  return { kind: "network", transient: true };
}

export function networkError(region: string, what: string, error: unknown): ClusterError {
  const { kind, transient } = classifyNetworkError(error);
  const message = error instanceof Error ? error.message : String(error);
  return new ClusterError(`region ${region}: ${what}: ${message}`, { kind, transient, region, cause: error });
}
