/**
 * Errors of the cluster drivers, classified for the workflow's retry policy.
 *
 * `transient: true`  — retry with backoff: 5xx, 429, 409 conflicts, 410, timeouts, connection
 *                      errors, 401 (rotated credentials).
 * `transient: false` — fail the step: 400, 403, 404, 405, 406, 413, 415, 422, TLS verification
 *                      failures, configuration errors, a missed readiness deadline, pods refused by
 *                      admission (code `Refused`, the refusing policy in the message).
 */

export type ClusterErrorCode =
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "AlreadyExists"
  | "Conflict"
  | "Gone"
  | "RequestEntityTooLarge"
  | "UnsupportedMediaType"
  | "Invalid"
  | "TooManyRequests"
  | "InternalError"
  | "ServiceUnavailable"
  | "Timeout"
  | "Network"
  | "TLS"
  | "DeadlineExceeded"
  | "Aborted"
  | "NotServed"
  | "Configuration"
  | "UnknownRegion"
  /** Admission refuses the workload's pods (PodSecurity, ResourceQuota, LimitRange, a webhook): seen on its ReplicaSet. */
  | "Refused"
  /** The namespace is being deleted: nothing can be created in it until it is gone (transient). */
  | "Terminating"
  | "Unknown";

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
  code: ClusterErrorCode;
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
  readonly code: ClusterErrorCode;
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
    this.code = init.code;
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

  constructor(init: {
    region: string;
    ready: number;
    required: number;
    deadline: Date;
    problems: string[];
    cause?: unknown;
  }) {
    const why = init.problems.length > 0 ? `; not ready: ${init.problems.join(", ")}` : "";
    super(
      `region ${init.region}: ${init.ready} of ${init.required} required instances ready at the deadline ${init.deadline.toISOString()}${why}`,
      { code: "DeadlineExceeded", transient: false, region: init.region, cause: init.cause },
    );
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
): { code: ClusterErrorCode; transient: boolean } {
  switch (status) {
    case 400:
      return { code: "BadRequest", transient: false };
    case 401:
      // Credentials rotate (projected service-account tokens, exec plugins); the next request
      // re-reads them. If they are wrong for good, the workflow's retry budget pauses the run.
      return { code: "Unauthorized", transient: true };
    case 403:
      // Creating in a namespace that is being deleted: it will be gone (and can be made anew) soon.
      if (causes?.some((c) => c.reason === "NamespaceTerminating")) return { code: "Terminating", transient: true };
      return { code: "Forbidden", transient: false };
    case 404:
      return { code: "NotFound", transient: false };
    case 405:
      return { code: "MethodNotAllowed", transient: false };
    case 406:
      return { code: "NotAcceptable", transient: false };
    case 409:
      // AlreadyExists (a create raced another) and Conflict (stale resourceVersion, or field
      // managers) both succeed on a fresh attempt; apply with force never has field conflicts.
      return { code: reason === "AlreadyExists" ? "AlreadyExists" : "Conflict", transient: true };
    case 410:
      return { code: "Gone", transient: true };
    case 413:
      return { code: "RequestEntityTooLarge", transient: false };
    case 415:
      return { code: "UnsupportedMediaType", transient: false };
    case 422:
      return { code: "Invalid", transient: false };
    case 429:
      return { code: "TooManyRequests", transient: true };
    case 500:
      // Server-side apply answers 500 (no reason) when the applied object has a field its
      // schema does not declare or a value of the wrong type: the request is wrong, not the
      // server (kubernetes/kubernetes#122480), and retrying cannot help.
      if (message?.includes("failed to create typed patch object")) return { code: "Invalid", transient: false };
      return { code: "InternalError", transient: true };
    case 503:
      return { code: "ServiceUnavailable", transient: true };
    case 504:
      return { code: "Timeout", transient: true };
    default:
      if (status >= 500) return { code: "InternalError", transient: true };
      return { code: "Unknown", transient: false };
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
  const { code, transient } = classifyHttpStatus(
    input.status,
    status?.reason,
    status?.message,
    status?.details?.causes,
  );
  const retryAfterSeconds =
    status?.details?.retryAfterSeconds ?? (input.retryAfter ? Number(input.retryAfter) : undefined);
  const prefix = input.what ? `region ${input.region}: ${input.what}: ` : `region ${input.region}: `;
  // RBAC names the missing verb and resource; say where hydra's needs are written down.
  const hint = code === "Forbidden" ? " (hydra's role needs the verbs in deploy/rbac.yaml)" : "";
  return new ClusterError(`${prefix}${message}${hint}`, {
    code,
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
export function classifyNetworkError(error: unknown): { code: ClusterErrorCode; transient: boolean } {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") {
    if (TLS_CODES.test(code)) return { code: "TLS", transient: false };
    if (TRANSIENT_NETWORK.has(code)) return { code: code === "ETIMEDOUT" ? "Timeout" : "Network", transient: true };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/socket hang up|other side closed|premature close/i.test(message)) return { code: "Network", transient: true };
  return { code: "Network", transient: true };
}

export function networkError(region: string, what: string, error: unknown): ClusterError {
  const { code, transient } = classifyNetworkError(error);
  const message = error instanceof Error ? error.message : String(error);
  return new ClusterError(`region ${region}: ${what}: ${message}`, { code, transient, region, cause: error });
}
