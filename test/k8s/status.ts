/** The API server's `Status` error bodies, as it writes them. */

export interface Cause {
  reason: string;
  message: string;
  field: string;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Failure" | "Success";
  message?: string;
  reason?: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: Array<Partial<Cause>>;
    retryAfterSeconds?: number;
  };
  code: number;
}

/** An error the server answers with this Status. */
export class ApiError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
  }
}

export function status(code: number, reason: string | undefined, message: string, details?: Status["details"]): Status {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    ...(reason ? { reason } : {}),
    ...(details ? { details } : {}),
    code,
  };
}

/** `deployments.apps`, `services`: how the server names a resource in messages. */
export function groupResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

function details(group: string, kind: string, name: string, extra: Status["details"] = {}): Status["details"] {
  return { name, ...(group ? { group } : {}), kind, ...extra };
}

export const errors = {
  notFound: (group: string, resource: string, name: string) =>
    new ApiError(
      status(404, "NotFound", `${groupResource(group, resource)} "${name}" not found`, details(group, resource, name)),
    ),
  alreadyExists: (group: string, resource: string, name: string) =>
    new ApiError(
      status(
        409,
        "AlreadyExists",
        `${groupResource(group, resource)} "${name}" already exists`,
        details(group, resource, name),
      ),
    ),
  conflict: (group: string, resource: string, name: string) =>
    new ApiError(
      status(
        409,
        "Conflict",
        `Operation cannot be fulfilled on ${groupResource(group, resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        details(group, resource, name),
      ),
    ),
  /** 422: `Deployment.apps "x" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`. */
  invalid: (group: string, kind: string, name: string, causes: Cause[]) => {
    const parts = causes.map((c) => `${c.field}: ${c.message}`);
    const what = `${kind}${group ? `.${group}` : ""} "${name}" is invalid: `;
    return new ApiError(
      status(
        422,
        "Invalid",
        what + (parts.length === 1 ? parts[0] : `[${parts.join(", ")}]`),
        details(group, kind, name, { causes }),
      ),
    );
  },
  badRequest: (message: string) => new ApiError(status(400, "BadRequest", message)),
  unauthorized: () => new ApiError(status(401, "Unauthorized", "Unauthorized")),
  methodNotAllowed: () =>
    new ApiError(status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")),
  unsupportedMediaType: (contentType: string) =>
    new ApiError(
      status(
        415,
        "UnsupportedMediaType",
        `the body of the request was in an unknown format (${contentType || "no content type"}) - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
      ),
    ),
  /** The server cannot turn the applied object into its typed form: HTTP 500 without a reason (kubernetes/kubernetes#122480). */
  typedPatch: (namespace: string | undefined, name: string, apiVersion: string, kind: string, problem: string) =>
    new ApiError(
      status(
        500,
        undefined,
        `failed to create typed patch object (${namespace ?? ""}/${name}; ${apiVersion}, Kind=${kind}): ${problem}`,
      ),
    ),
  applyConflict: (conflicts: Array<{ manager: string; apiVersion: string; field: string }>) => {
    const n = conflicts.length;
    const byManager = conflicts.map((c) => `conflict with "${c.manager}" using ${c.apiVersion}: ${c.field}`);
    return new ApiError(
      status(409, "Conflict", `Apply failed with ${n} conflict${n === 1 ? "" : "s"}: ${byManager.join("\n")}`, {
        causes: conflicts.map((c) => ({
          reason: "FieldManagerConflict",
          message: `conflict with "${c.manager}" using ${c.apiVersion}`,
          field: c.field,
        })),
      }),
    );
  },
  expired: (requested: number, current: number) =>
    status(410, "Expired", `too old resource version: ${requested} (${current})`),
};

/** A Go-like rendering of a value in field error messages: 70000, "abc", true. */
export function goValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) return "null";
  return JSON.stringify(value);
}

export const cause = {
  required: (field: string, detail?: string): Cause => ({
    reason: "FieldValueRequired",
    field,
    message: detail ? `Required value: ${detail}` : "Required value",
  }),
  invalid: (field: string, value: unknown, detail: string): Cause => ({
    reason: "FieldValueInvalid",
    field,
    message: `Invalid value: ${goValue(value)}: ${detail}`,
  }),
  notSupported: (field: string, value: unknown, supported: string[]): Cause => ({
    reason: "FieldValueNotSupported",
    field,
    message: `Unsupported value: ${goValue(value)}: supported values: ${supported.map((s) => `"${s}"`).join(", ")}`,
  }),
  duplicate: (field: string, value: unknown): Cause => ({
    reason: "FieldValueDuplicate",
    field,
    message: `Duplicate value: ${goValue(value)}`,
  }),
  forbidden: (field: string, detail: string): Cause => ({
    reason: "FieldValueForbidden",
    field,
    message: `Forbidden: ${detail}`,
  }),
  tooLong: (field: string, max: number): Cause => ({
    reason: "FieldValueTooLong",
    field,
    message: `Too long: may not be more than ${max} bytes`,
  }),
};
