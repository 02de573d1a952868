import { errorCode, isErrorCode, isRetryable } from "@hydra/db/errors";
import {
  CLUSTER_ERROR_CODES,
  type ClusterErrorKind,
  ClusterDeadlineError,
  ClusterError,
  classifyHttpStatus,
  classifyNetworkError,
  errorFromResponse,
} from "./errors";

describe("error classification", () => {
  it.each(Object.entries(CLUSTER_ERROR_CODES) as [ClusterErrorKind, string][])(
    "kind %s carries the shared code %s",
    (kind, code) => {
      const error = new ClusterError("region r: x", { kind, transient: false });
      expect(isErrorCode(error.code)).toBe(true);
      expect({ code: errorCode(error), kind: error.kind }).toEqual({ code, kind });
    },
  );

  it.each([true, false])("the one retry predicate takes a ClusterError's transient (%s) at its word", (transient) => {
    expect(isRetryable(new ClusterError("region r: x", { kind: "not_found", transient }))).toBe(transient);
  });

  it.each([
    [400, undefined, undefined, "bad_request", false],
    [401, undefined, undefined, "unauthorized", true],
    [403, "Forbidden", undefined, "forbidden", false],
    [404, "NotFound", undefined, "not_found", false],
    [405, "MethodNotAllowed", undefined, "method_not_allowed", false],
    [409, "AlreadyExists", undefined, "already_exists", true],
    [409, "Conflict", undefined, "conflict", true],
    [410, "Expired", undefined, "gone", true],
    [413, undefined, undefined, "request_entity_too_large", false],
    [415, "UnsupportedMediaType", undefined, "unsupported_media_type", false],
    [422, "Invalid", undefined, "invalid", false],
    [429, "TooManyRequests", undefined, "too_many_requests", true],
    [500, "InternalError", "etcdserver: request timed out", "internal_error", true],
    [
      500,
      undefined,
      "failed to create typed patch object (ns/x; apps/v1, Kind=Deployment): .spec.x: field not declared in schema",
      "invalid",
      false,
    ],
    [502, undefined, undefined, "internal_error", true],
    [503, "ServiceUnavailable", undefined, "service_unavailable", true],
    [504, "Timeout", undefined, "timeout", true],
    [418, undefined, undefined, "unknown", false],
  ] as const)("HTTP %i (%s) → %s, transient %s", (status, reason, message, kind, transient) => {
    expect(classifyHttpStatus(status, reason, message)).toEqual({ kind, transient });
  });

  it.each([
    [[{ reason: "NamespaceTerminating", message: "namespace ws-1 is being terminated" }], "terminating", true],
    [[{ reason: "SomethingElse" }], "forbidden", false],
    [[], "forbidden", false],
  ])("HTTP 403 with causes %j → %s, transient %s", (causes, kind, transient) => {
    expect(classifyHttpStatus(403, "Forbidden", "forbidden", causes)).toEqual({ kind, transient });
  });

  it.each([
    ["ECONNREFUSED", "network", true],
    ["ECONNRESET", "network", true],
    ["ETIMEDOUT", "timeout", true],
    ["EAI_AGAIN", "network", true],
    ["ENOTFOUND", "network", true],
    ["EPIPE", "network", true],
    ["CERT_HAS_EXPIRED", "tls", false],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "tls", false],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "tls", false],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "tls", false],
  ])("network error %s → %s, transient %s", (errno, kind, transient) => {
    expect(classifyNetworkError(Object.assign(new Error(errno), { code: errno }))).toEqual({ kind, transient });
  });

  it("turns a 422 Status into a terminal error naming the field", () => {
    const error = errorFromResponse({
      region: "us-east",
      status: 422,
      what: "apply Deployment ws-1/dep-1",
      body: {
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        message:
          'Deployment.apps "dep-1" is invalid: spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
        reason: "Invalid",
        details: {
          name: "dep-1",
          group: "apps",
          kind: "Deployment",
          causes: [
            {
              reason: "FieldValueInvalid",
              message: "Invalid value: 70000: must be between 1 and 65535, inclusive",
              field: "spec.template.spec.containers[0].ports[0].containerPort",
            },
          ],
        },
        code: 422,
      },
    });
    expect(error).toBeInstanceOf(ClusterError);
    expect(error).toMatchObject({
      code: "invalid_argument",
      kind: "invalid",
      transient: false,
      status: 422,
      reason: "Invalid",
      region: "us-east",
      field: "spec.template.spec.containers[0].ports[0].containerPort",
    });
    expect(error.message).toBe(
      'region us-east: apply Deployment ws-1/dep-1: Deployment.apps "dep-1" is invalid: spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    );
    expect(error.toJSON()).toMatchObject({
      code: "invalid_argument",
      kind: "invalid",
      transient: false,
      field: "spec.template.spec.containers[0].ports[0].containerPort",
    });
  });

  it("reads Retry-After from the header or the Status details", () => {
    expect(
      errorFromResponse({
        region: "r",
        status: 429,
        body: { kind: "Status", reason: "TooManyRequests" },
        retryAfter: "2",
      }).retryAfterMs,
    ).toBe(2000);
    expect(
      errorFromResponse({ region: "r", status: 429, body: { kind: "Status", details: { retryAfterSeconds: 5 } } })
        .retryAfterMs,
    ).toBe(5000);
  });

  it("keeps a non-Status body as the message (an unserved API group answers plain text)", () => {
    const error = errorFromResponse({ region: "r", status: 404, body: "404 page not found\n" });
    expect(error).toMatchObject({ code: "not_found", kind: "not_found", transient: false, reason: undefined });
    expect(error.message).toBe("region r: 404 page not found");
  });

  it("makes deadline errors terminal and says what was not ready", () => {
    const error = new ClusterDeadlineError({
      region: "eu-west",
      ready: 1,
      required: 3,
      deadline: new Date("2030-01-01T00:00:00Z"),
      problems: ["2 × CrashLoopBackOff"],
    });
    expect(error).toBeInstanceOf(ClusterError);
    expect(error).toMatchObject({
      name: "ClusterDeadlineError",
      code: "deadline_exceeded",
      kind: "deadline_exceeded",
      transient: false,
      region: "eu-west",
      ready: 1,
      required: 3,
    });
    expect(error.message).toBe(
      "region eu-west: 1 of 3 required instances ready at the deadline 2030-01-01T00:00:00.000Z; not ready: 2 × CrashLoopBackOff",
    );
  });
});
