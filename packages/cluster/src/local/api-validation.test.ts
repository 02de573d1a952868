import type { KubeObject } from "../manifests";
import { invalid, validate } from "./api-validation";

function deployment(container: Record<string, unknown>, replicas: unknown = 1, name = "web-1"): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "ns" },
    spec: {
      replicas,
      selector: {},
      template: { spec: { containers: [{ image: "nginx:1.27", ...container }] } },
    },
  };
}
const service = (name: string, port: unknown): KubeObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "ns" },
  spec: { ports: [{ port }] },
});
const namespace = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });

const C = "spec.template.spec.containers[0]";

describe("validate: the API server's checks that hydra's inputs can fail", () => {
  it.each<[string, KubeObject, Array<[string, string]>]>([
    ["a well-formed Deployment", deployment({ ports: [{ containerPort: 8080 }], env: [{ name: "A_B.c-1" }] }), []],
    ["a Deployment name with dots (DNS-1123 subdomain)", deployment({}, 1, "web.v1"), []],
    ["an upper-case Deployment name", deployment({}, 1, "Web"), [["metadata.name", "FieldValueInvalid"]]],
    ["negative replicas", deployment({}, -1), [["spec.replicas", "FieldValueInvalid"]]],
    ["fractional replicas", deployment({}, 1.5), [["spec.replicas", "FieldValueInvalid"]]],
    ["an empty image", deployment({ image: "  " }), [[`${C}.image`, "FieldValueRequired"]]],
    ["an image with surrounding spaces", deployment({ image: " nginx" }), [[`${C}.image`, "FieldValueInvalid"]]],
    [
      "container port 0",
      deployment({ ports: [{ containerPort: 0 }] }),
      [[`${C}.ports[0].containerPort`, "FieldValueInvalid"]],
    ],
    [
      "container port 65536",
      deployment({ ports: [{ containerPort: 65536 }] }),
      [[`${C}.ports[0].containerPort`, "FieldValueInvalid"]],
    ],
    [
      "an env name starting with a digit",
      deployment({ env: [{ name: "1A" }] }),
      [[`${C}.env[0].name`, "FieldValueInvalid"]],
    ],
    ["quantities 500m and 1.5Gi", deployment({ resources: { requests: { cpu: "500m", memory: "1.5Gi" } } }), []],
    [
      "a quantity 'lots'",
      deployment({ resources: { limits: { cpu: "lots" } } }),
      [[`${C}.resources.limits[cpu]`, "FieldValueInvalid"]],
    ],
    ["a Service port 80", service("web", 80), []],
    ["a Service name with a dot (DNS-1035 label)", service("web.v1", 80), [["metadata.name", "FieldValueInvalid"]]],
    ["a Service name starting with a digit", service("1web", 80), [["metadata.name", "FieldValueInvalid"]]],
    ["a Service port 0", service("web", 0), [["spec.ports[0].port", "FieldValueInvalid"]]],
    ["a Namespace hyd-ra", namespace("hyd-ra"), []],
    ["a Namespace with a dot (DNS-1123 label)", namespace("hyd.ra"), [["metadata.name", "FieldValueInvalid"]]],
    [
      "several faults at once: each its own cause",
      deployment({ image: "", env: [{ name: "=" }] }, -2),
      [
        ["spec.replicas", "FieldValueInvalid"],
        [`${C}.image`, "FieldValueRequired"],
        [`${C}.env[0].name`, "FieldValueInvalid"],
      ],
    ],
  ])("%s", (_, object, expected) => {
    expect(validate(object).map((c) => [c.field, c.reason])).toEqual(expected);
  });
});

describe("invalid: the 422 the API server answers, as data and in its words", () => {
  it("names the object with its API group and the one field", () => {
    const object = deployment({}, -1);
    const error = invalid("us-east", object, validate(object));
    expect(error).toMatchObject({
      kind: "invalid",
      transient: false,
      region: "us-east",
      status: 422,
      reason: "Invalid",
    });
    expect(error.message).toBe(
      'region us-east: Deployment.apps "web-1" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    );
  });

  it("lists several causes in brackets; a core object has no group", () => {
    const object = service("Web", 0);
    const error = invalid("eu-west", object, validate(object));
    expect(error.causes).toHaveLength(2);
    expect(error.message).toMatch(
      /^region eu-west: Service "Web" is invalid: \[metadata\.name: .*, spec\.ports\[0\]\.port: .*\]$/,
    );
  });
});
