/**
 * The API server's answer to an object hydra applies, as far as hydra's inputs can fail it:
 * the checks (names, ports, replicas, quantities, env names) and the 422 `Invalid` error with
 * one cause per field, worded as kube-apiserver words them. The simulated driver applies it,
 * so a bad input fails the same way on one machine as on a real cluster.
 */
import { ClusterError, type StatusCause } from "../errors";
import type { KubeObject } from "../manifests";
import { isDns1035Label, isDns1123Label, isDns1123Subdomain } from "../names";

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function invalid(region: string, object: KubeObject, causes: StatusCause[]): ClusterError {
  const group = object.apiVersion.includes("/") ? `.${object.apiVersion.split("/")[0]}` : "";
  const detail = causes.map((c) => `${c.field}: ${c.message}`);
  const message = `${object.kind}${group} "${object.metadata.name}" is invalid: ${detail.length === 1 ? detail[0] : `[${detail.join(", ")}]`}`;
  return new ClusterError(`region ${region}: ${message}`, {
    kind: "invalid",
    transient: false,
    region,
    status: 422,
    reason: "Invalid",
    causes,
  });
}

/** The fields of a Deployment's spec (as manifests.ts builds it) that the simulation reads. */
export interface DeploymentSpecFields {
  replicas: number;
  selector: unknown;
  template: { spec: { containers: ContainerFields[] } };
}

interface ContainerFields {
  image?: unknown;
  ports?: Array<{ containerPort?: unknown }>;
  env?: Array<{ name: string }>;
  resources?: Partial<Record<"requests" | "limits", Record<string, string>>>;
}

interface ServiceSpecFields {
  ports: Array<{ port?: unknown }>;
}

/** The checks of the API server that hydra's inputs can fail (names, ports, replicas, quantities, env). */
export function validate(object: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const bad = (field: string, value: unknown, why: string) =>
    causes.push({ reason: "FieldValueInvalid", field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` });
  const name = object.metadata.name;
  const nameOk =
    object.kind === "Namespace"
      ? isDns1123Label(name)
      : object.kind === "Service"
        ? isDns1035Label(name)
        : isDns1123Subdomain(name);
  if (!nameOk) bad("metadata.name", name, "must be a valid DNS name");
  const checkPort = (field: string, port: unknown) => {
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535)
      bad(field, port, "must be between 1 and 65535, inclusive");
  };
  if (object.kind === "Deployment" && object.spec) {
    const spec = object.spec as DeploymentSpecFields;
    if (!Number.isInteger(spec.replicas) || spec.replicas < 0)
      bad("spec.replicas", spec.replicas, "must be greater than or equal to 0");
    spec.template.spec.containers.forEach((c, i) => {
      const at = `spec.template.spec.containers[${i}]`;
      if (typeof c.image !== "string" || c.image.trim() === "")
        causes.push({ reason: "FieldValueRequired", field: `${at}.image`, message: "Required value" });
      else if (c.image !== c.image.trim()) bad(`${at}.image`, c.image, "must not have leading or trailing whitespace");
      (c.ports ?? []).forEach((p, j) => checkPort(`${at}.ports[${j}].containerPort`, p.containerPort));
      (c.env ?? []).forEach((e, j) => {
        if (!ENV_NAME.test(e.name))
          bad(
            `${at}.env[${j}].name`,
            e.name,
            "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
          );
      });
      for (const kind of ["requests", "limits"] as const) {
        for (const [resource, value] of Object.entries(c.resources?.[kind] ?? {})) {
          if (!QUANTITY.test(String(value)))
            bad(
              `${at}.resources.${kind}[${resource}]`,
              value,
              "must match the regex ^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$",
            );
        }
      }
    });
  }
  if (object.kind === "Service" && object.spec) {
    (object.spec as ServiceSpecFields).ports.forEach((p, i) => checkPort(`spec.ports[${i}].port`, p.port));
  }
  return causes;
}
