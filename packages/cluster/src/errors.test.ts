import {
  ClusterDeadlineError,
  ClusterError,
  classifyHttpStatus,
  classifyNetworkError,
  errorFromResponse,
} from "./errors";

describe("error classification", () => {
  it.each([
    [400, undefined, undefined, "BadRequest", false],
    [401, undefined, undefined, "Unauthorized", true],
    [403, "Forbidden", undefined, "Forbidden", false],
    [404, "NotFound", undefined, "NotFound", false],
    [405, "MethodNotAllowed", undefined, "MethodNotAllowed", false],
    [409, "AlreadyExists", undefined, "AlreadyExists", true],
    [409, "Conflict", undefined, "Conflict", true],
    [410, "Expired", undefined, "Gone", true],
    [413, undefined, undefined, "RequestEntityTooLarge", false],
    [415, "UnsupportedMediaType", undefined, "UnsupportedMediaType", false],
    [422, "Invalid", undefined, "Invalid", false],
    [429, "TooManyRequests", undefined, "TooManyRequests", true],
    [500, "InternalError", "etcdserver: request timed out", "InternalError", true],
    [
      500,
      undefined,
      "failed to create typed patch object (ns/x; apps/v1, Kind=Deployment): .spec.x: field not declared in schema",
      "Invalid",
      false,
    ],
    [502, undefined, undefined, "InternalError", true],
    [503, "ServiceUnavailable", undefined, "ServiceUnavailable", true],
    [504, "Timeout", undefined, "Timeout", true],
    [418, undefined, undefined, "Unknown", false],
  ] as const)("HTTP %i (%s) → %s, transient %s", (status, reason, message, code, transient) => {
    expect(classifyHttpStatus(status, reason, message)).toEqual({ code, transient });
  });

  it.each([
    [[{ reason: "NamespaceTerminating", message: "namespace ws-1 is being terminated" }], "Terminating", true],
    [[{ reason: "SomethingElse" }], "Forbidden", false],
    [[], "Forbidden", false],
  ])("HTTP 403 with causes %j → %s, transient %s", (causes, code, transient) => {
    expect(classifyHttpStatus(403, "Forbidden", "forbidden", causes)).toEqual({ code, transient });
  });

  it.each([
    ["ECONNREFUSED", "Network", true],
    ["ECONNRESET", "Network", true],
    ["ETIMEDOUT", "Timeout", true],
    ["EAI_AGAIN", "Network", true],
    ["ENOTFOUND", "Network", true],
    ["EPIPE", "Network", true],
    ["CERT_HAS_EXPIRED", "TLS", false],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "TLS", false],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "TLS", false],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "TLS", false],
  ])("network error %s → %s, transient %s", (errno, code, transient) => {
    expect(classifyNetworkError(Object.assign(new Error(errno), { code: errno }))).toEqual({ code, transient });
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
      code: "Invalid",
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
      code: "Invalid",
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
    expect(error).toMatchObject({ code: "NotFound", transient: false, reason: undefined });
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
      code: "DeadlineExceeded",
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
