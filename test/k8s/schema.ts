/**
 * Validation as the API server does it, against the real schemas:
 * - typed conversion (what server-side apply does first): every field must be declared by the
 *   type, with the declared JSON type. Built-in types: the OpenAPI-generated models of
 *   @kubernetes/client-node; CiliumNetworkPolicy: the openAPIV3Schema of Cilium's CRD.
 * - schema validation: `kubernetes-models` (generated from the Kubernetes OpenAPI spec) for
 *   built-in types, ajv with the CRD's openAPIV3Schema for CiliumNetworkPolicy.
 * - the semantic checks of the built-in types' validation code that hydra's objects can fail
 *   (names, labels, selectors, ports, probes, resources, env, immutable selectors).
 * - defaulting of the fields the server defaults.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { parse as parseYaml } from "yaml";
import { type Cause, cause } from "./status";
import { labelSelectorObject } from "./selectors";

/** Cilium's CRD, vendored unmodified (see crds/SOURCE.md). */
export const CILIUM_CRD = join(__dirname, "crds", "ciliumnetworkpolicies.cilium.io.yaml");

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The keywords of an OpenAPI v3 schema that the typed conversion walks. */
interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
}

/** The parts of a CustomResourceDefinition that loadSchemas reads. */
interface CrdJson {
  spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: JsonSchema } }> };
}

// The fields of built-in objects that the semantic checks and the defaulting read, with their
// OpenAPI types: typed conversion (typedProblem) rejects any other JSON type before validation.
interface ObjectMetaJson {
  name: string;
  labels?: Record<string, string>;
}

interface LabelSelectorJson {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

interface ProbeJson {
  exec?: unknown;
  httpGet?: { port?: number | string; scheme?: string };
  tcpSocket?: { port?: number | string };
  grpc?: { port?: number };
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  terminationGracePeriodSeconds?: number;
}

interface ContainerJson {
  name?: string;
  image?: string;
  imagePullPolicy?: string;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
  ports?: Array<{ name?: string; containerPort?: number; hostPort?: number; protocol?: string }>;
  env?: Array<{ name?: string }>;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  readinessProbe?: ProbeJson;
  livenessProbe?: ProbeJson;
  startupProbe?: ProbeJson;
}

interface PodSpecJson {
  containers?: ContainerJson[];
  restartPolicy?: string;
  dnsPolicy?: string;
  schedulerName?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: object;
  topologySpreadConstraints?: Array<{ maxSkew?: number; topologyKey?: string; whenUnsatisfiable?: string }>;
}

interface DeploymentSpecJson {
  replicas?: number;
  selector?: LabelSelectorJson;
  template?: { metadata?: Partial<ObjectMetaJson>; spec?: PodSpecJson };
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  strategy?: object;
}

interface ServiceSpecJson {
  type?: string;
  clusterIP?: string;
  selector?: Record<string, string>;
  ports?: Array<{ name?: string; port?: number; protocol?: string; targetPort?: number | string }>;
  sessionAffinity?: string;
  internalTrafficPolicy?: string;
  ipFamilyPolicy?: string;
  ipFamilies?: string[];
}

/** The `params` of the ajv errors translated below; each keyword sets its own (see ajv's error types). */
interface AjvParams {
  missingProperty: string;
  allowedValues: unknown[];
  type: string;
  pattern: string;
  limit: number;
}

export interface Schemas {
  /** A problem converting the object to its typed form (undeclared field, wrong JSON type), or undefined. */
  typedProblem(kind: string, object: Obj): string | undefined;
  /** Schema and semantic validation of a new (or updated) object. */
  validate(kind: string, object: Obj, old?: Obj): Cause[];
}

// ---------- typed conversion ----------

type ModelClass = { getAttributeTypeMap(): Array<{ baseName: string; type: string }> };

function describe(value: unknown): string {
  if (Array.isArray(value)) return "list";
  if (isObject(value)) return "map";
  return typeof value;
}

function itemLabel(path: string, item: unknown, index: number): string {
  return isObject(item) && typeof item.name === "string"
    ? `${path}[name=${JSON.stringify(item.name)}]`
    : `${path}[${index}]`;
}

function walkModel(models: Record<string, unknown>, value: unknown, type: string, path: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  switch (type) {
    case "any":
    case "object":
      return undefined;
    case "string":
    case "Date":
      return typeof value === "string" ? undefined : `${path}: expected string, got ${describe(value)}`;
    case "number":
      return typeof value === "number" ? undefined : `${path}: expected numeric (int or float), got ${describe(value)}`;
    case "boolean":
      return typeof value === "boolean" ? undefined : `${path}: expected boolean, got ${describe(value)}`;
    case "IntOrString":
      return typeof value === "string" || typeof value === "number"
        ? undefined
        : `${path}: expected string or number, got ${describe(value)}`;
  }
  let m = type.match(/^Array<(.+)>$/);
  if (m) {
    if (!Array.isArray(value)) return `${path}: expected list, got ${describe(value)}`;
    for (let i = 0; i < value.length; i++) {
      const problem = walkModel(models, value[i], m[1]!, itemLabel(path, value[i], i));
      if (problem) return problem;
    }
    return undefined;
  }
  m = type.match(/^\{ \[key: string\]: (.+); \}$/);
  if (m) {
    if (!isObject(value)) return `${path}: expected map, got ${describe(value)}`;
    // Quantities (resources) are strings in the models but numbers are accepted too.
    const inner = m[1] === "string" && /\.(requests|limits|capacity|allocatable)$/.test(path) ? "IntOrString" : m[1]!;
    for (const [k, v] of Object.entries(value)) {
      const problem = walkModel(models, v, inner, `${path}.${k}`);
      if (problem) return problem;
    }
    return undefined;
  }
  const model = models[type] as ModelClass | undefined;
  if (!model?.getAttributeTypeMap) return undefined;
  if (!isObject(value)) return `${path}: expected map, got ${describe(value)}`;
  const fields = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    const fieldType = fields.get(k);
    if (fieldType === undefined) return `${path}.${k}: field not declared in schema`;
    const problem = walkModel(models, v, fieldType, `${path}.${k}`);
    if (problem) return problem;
  }
  return undefined;
}

function walkSchema(schema: JsonSchema, value: unknown, path: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (schema["x-kubernetes-preserve-unknown-fields"] === true && !schema.properties) return undefined;
  if (schema["x-kubernetes-int-or-string"] === true) {
    return typeof value === "string" || typeof value === "number"
      ? undefined
      : `${path}: expected string or number, got ${describe(value)}`;
  }
  switch (schema.type) {
    case "object": {
      if (!isObject(value)) return `${path}: expected map, got ${describe(value)}`;
      for (const [k, v] of Object.entries(value)) {
        const sub =
          schema.properties?.[k] ?? (isObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
        if (!sub) {
          if (schema["x-kubernetes-preserve-unknown-fields"] === true) continue;
          return `${path}.${k}: field not declared in schema`;
        }
        const problem = walkSchema(sub, v, `${path}.${k}`);
        if (problem) return problem;
      }
      return undefined;
    }
    case "array": {
      if (!Array.isArray(value)) return `${path}: expected list, got ${describe(value)}`;
      for (let i = 0; i < value.length; i++) {
        const problem = schema.items ? walkSchema(schema.items, value[i], `${path}[${i}]`) : undefined;
        if (problem) return problem;
      }
      return undefined;
    }
    case "string":
      return typeof value === "string" ? undefined : `${path}: expected string, got ${describe(value)}`;
    case "integer":
    case "number":
      return typeof value === "number" ? undefined : `${path}: expected numeric (int or float), got ${describe(value)}`;
    case "boolean":
      return typeof value === "boolean" ? undefined : `${path}: expected boolean, got ${describe(value)}`;
    default:
      return undefined;
  }
}

// ---------- schema validation messages ----------

function fieldOf(instancePath: string): string {
  let out = "";
  for (const raw of instancePath.split("/").slice(1)) {
    const seg = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^\d+$/.test(seg)
      ? `[${seg}]`
      : /[/.]/.test(seg) && out.endsWith("labels")
        ? `[${seg}]`
        : `${out ? "." : ""}${seg}`;
  }
  return out;
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** ajv errors → the causes kube-openapi's validator reports (branch errors of oneOf/anyOf dropped). */
function causesFromAjv(errorsList: ErrorObject[], root: Obj): Cause[] {
  const out: Cause[] = [];
  for (const e of errorsList) {
    if (/\/(oneOf|anyOf)\/\d+\//.test(e.schemaPath)) continue;
    let value: unknown = root;
    for (const seg of e.instancePath.split("/").slice(1))
      value = (value as Obj)?.[seg.replace(/~1/g, "/").replace(/~0/g, "~")];
    const field = fieldOf(e.instancePath);
    const p = e.params as AjvParams;
    const inBody = field || "<root>";
    switch (e.keyword) {
      case "required":
        out.push(cause.required(field ? `${field}.${p.missingProperty}` : p.missingProperty));
        break;
      case "enum":
        out.push(cause.notSupported(field, value, p.allowedValues.map(String)));
        break;
      case "type":
        out.push(
          cause.invalid(field, typeName(value), `${inBody} in body must be of type ${p.type}: "${typeName(value)}"`),
        );
        break;
      case "pattern":
        out.push(cause.invalid(field, value, `${inBody} in body should match '${p.pattern}'`));
        break;
      case "maxLength":
        out.push(cause.tooLong(field, p.limit));
        break;
      case "minLength":
        out.push(cause.invalid(field, value, `${inBody} in body should be at least ${p.limit} chars long`));
        break;
      case "maximum":
        out.push(cause.invalid(field, value, `${inBody} in body should be less than or equal to ${p.limit}`));
        break;
      case "minimum":
        out.push(cause.invalid(field, value, `${inBody} in body should be greater than or equal to ${p.limit}`));
        break;
      case "maxItems":
        out.push({
          reason: "FieldValueTooMany",
          field,
          message: `Too many: ${(value as unknown[]).length}: must have at most ${p.limit} items`,
        });
        break;
      case "minItems":
        out.push(cause.invalid(field, value, `${inBody} in body should have at least ${p.limit} items`));
        break;
      case "oneOf":
        out.push(
          cause.invalid(field, typeName(value), `${inBody} in body must validate one and only one schema (oneOf)`),
        );
        break;
      case "anyOf":
        out.push(cause.invalid(field, typeName(value), `${inBody} in body must validate at least one schema (anyOf)`));
        break;
      default:
        out.push(cause.invalid(field, value, `${inBody} ${e.message ?? "is invalid"}`));
    }
  }
  return out;
}

// ---------- semantic validation (k8s.io/kubernetes/pkg/apis/*/validation) ----------

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

const MSG = {
  label:
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  subdomain:
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  dns1035:
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  labelValue:
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
  qualifiedName:
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  env: "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')",
  portRange: "must be between 1 and 65535, inclusive",
  quantity: "must match the regex ^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$",
};

function checkName(out: Cause[], kind: string, name: unknown): void {
  if (typeof name !== "string" || name === "") {
    out.push(cause.required("metadata.name", "name or generateName is required"));
    return;
  }
  if (kind === "Namespace") {
    if (name.length > 63) out.push(cause.invalid("metadata.name", name, "must be no more than 63 characters"));
    else if (!DNS1123_LABEL.test(name)) out.push(cause.invalid("metadata.name", name, MSG.label));
  } else if (kind === "Service") {
    if (name.length > 63) out.push(cause.invalid("metadata.name", name, "must be no more than 63 characters"));
    else if (!DNS1035_LABEL.test(name)) out.push(cause.invalid("metadata.name", name, MSG.dns1035));
  } else if (name.length > 253) out.push(cause.invalid("metadata.name", name, "must be no more than 253 characters"));
  else if (!DNS1123_SUBDOMAIN.test(name)) out.push(cause.invalid("metadata.name", name, MSG.subdomain));
}

function checkLabels(out: Cause[], field: string, labels: Record<string, string> | undefined): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const slash = key.lastIndexOf("/");
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
      out.push(cause.invalid(field, key, `prefix part ${MSG.subdomain}`));
    }
    if (name.length > 63) out.push(cause.invalid(field, key, "name part must be no more than 63 characters"));
    else if (!QUALIFIED_NAME.test(name)) out.push(cause.invalid(field, key, MSG.qualifiedName));
    if (typeof value === "string" && value.length > 63)
      out.push(cause.invalid(field, value, "must be no more than 63 characters"));
    else if (typeof value === "string" && !LABEL_VALUE.test(value))
      out.push(cause.invalid(field, value, MSG.labelValue));
  }
}

/** IANA_SVC_NAME: a port name. */
function portNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length > 15) problems.push("must be no more than 15 characters");
  if (!/^[-a-z0-9]+$/.test(name))
    problems.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (name.includes("--")) problems.push("must not contain consecutive hyphens");
  if (!/[a-z]/.test(name)) problems.push("must contain at least one letter (a-z)");
  if (name.startsWith("-") || name.endsWith("-")) problems.push("must not begin or end with a hyphen");
  return problems;
}

function checkPortNumber(out: Cause[], field: string, port: unknown, required = true): void {
  if (port === undefined || port === 0) {
    if (required) out.push(cause.required(field));
    return;
  }
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535)
    out.push(cause.invalid(field, port, MSG.portRange));
}

function checkIntOrNamedPort(out: Cause[], field: string, port: unknown): void {
  if (typeof port === "number") checkPortNumber(out, field, port);
  else if (typeof port === "string") for (const p of portNameProblems(port)) out.push(cause.invalid(field, port, p));
}

/** A quantity in base units (cores, bytes), or NaN. */
export function parseQuantity(q: unknown): number {
  const s = String(q);
  const m = s.match(/^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/);
  if (!m) return NaN;
  const n = Number(m[1]);
  const suffix = m[2] ?? "";
  const binary: Record<string, number> = {
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
  };
  const decimal: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
  };
  if (suffix in binary) return n * binary[suffix]!;
  if (suffix in decimal) return n * decimal[suffix]!;
  return n * 10 ** Number(suffix.slice(1));
}

function checkProbe(out: Cause[], field: string, probe: ProbeJson | undefined, readiness: boolean): void {
  if (!probe) return;
  const handlers = (["exec", "httpGet", "tcpSocket", "grpc"] as const).filter((h) => probe[h] !== undefined);
  if (handlers.length === 0) out.push(cause.required(field, "must specify a handler type"));
  if (handlers.length > 1)
    out.push(cause.forbidden(`${field}.${handlers[1]}`, "may not specify more than 1 handler type"));
  if (probe.httpGet) checkIntOrNamedPort(out, `${field}.httpGet.port`, probe.httpGet.port);
  if (probe.tcpSocket) checkIntOrNamedPort(out, `${field}.tcpSocket.port`, probe.tcpSocket.port);
  if (probe.grpc) checkPortNumber(out, `${field}.grpc.port`, probe.grpc.port);
  for (const k of [
    "initialDelaySeconds",
    "timeoutSeconds",
    "periodSeconds",
    "successThreshold",
    "failureThreshold",
    "terminationGracePeriodSeconds",
  ] as const) {
    const value = probe[k];
    if (typeof value === "number" && value < 0)
      out.push(cause.invalid(`${field}.${k}`, value, "must be greater than or equal to 0"));
  }
  if (readiness && probe.terminationGracePeriodSeconds !== undefined)
    out.push(
      cause.invalid(
        `${field}.terminationGracePeriodSeconds`,
        probe.terminationGracePeriodSeconds,
        "must not be set for readinessProbes",
      ),
    );
}

function checkContainers(out: Cause[], field: string, containers: ContainerJson[] | undefined): void {
  if (!containers || containers.length === 0) {
    out.push(cause.required(field));
    return;
  }
  const names = new Set<string | undefined>();
  containers.forEach((c, i) => {
    const at = `${field}[${i}]`;
    if (!c.name) out.push(cause.required(`${at}.name`));
    else if (!DNS1123_LABEL.test(c.name) || c.name.length > 63)
      out.push(cause.invalid(`${at}.name`, c.name, MSG.label));
    else if (names.has(c.name)) out.push(cause.duplicate(`${at}.name`, c.name));
    names.add(c.name);
    if (!c.image) out.push(cause.required(`${at}.image`));
    else if (c.image !== c.image.trim())
      out.push(cause.invalid(`${at}.image`, c.image, "must not have leading or trailing whitespace"));
    const portNames = new Set<string>();
    (c.ports ?? []).forEach((p, j) => {
      const pat = `${at}.ports[${j}]`;
      if (p.name !== undefined) {
        for (const problem of portNameProblems(p.name)) out.push(cause.invalid(`${pat}.name`, p.name, problem));
        if (portNames.has(p.name)) out.push(cause.duplicate(`${pat}.name`, p.name));
        portNames.add(p.name);
      }
      checkPortNumber(out, `${pat}.containerPort`, p.containerPort);
      if (p.hostPort !== undefined) checkPortNumber(out, `${pat}.hostPort`, p.hostPort, false);
      if (p.protocol !== undefined && !["TCP", "UDP", "SCTP"].includes(p.protocol))
        out.push(cause.notSupported(`${pat}.protocol`, p.protocol, ["SCTP", "TCP", "UDP"]));
    });
    (c.env ?? []).forEach((e, j) => {
      if (!e.name) out.push(cause.required(`${at}.env[${j}].name`));
      else if (!ENV_NAME.test(e.name)) out.push(cause.invalid(`${at}.env[${j}].name`, e.name, MSG.env));
    });
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    for (const [kind, map] of [
      ["requests", requests],
      ["limits", limits],
    ] as const) {
      for (const [resource, q] of Object.entries(map)) {
        const f = `${at}.resources.${kind}[${resource}]`;
        if (!QUANTITY.test(String(q)) || Number.isNaN(parseQuantity(q))) out.push(cause.invalid(f, q, MSG.quantity));
        else if (parseQuantity(q) < 0) out.push(cause.invalid(f, q, "must be greater than or equal to 0"));
        else if (
          !["cpu", "memory", "ephemeral-storage"].includes(resource) &&
          !resource.includes("/") &&
          !resource.startsWith("hugepages-")
        ) {
          out.push(
            cause.invalid(
              `${at}.resources.${kind}[${resource}]`,
              resource,
              "must be a standard resource type or fully qualified",
            ),
          );
        }
      }
    }
    for (const [resource, q] of Object.entries(requests)) {
      const limit = limits[resource];
      if (limit !== undefined && parseQuantity(q) > parseQuantity(limit)) {
        out.push(
          cause.invalid(
            `${at}.resources.requests`,
            String(q),
            `must be less than or equal to ${resource} limit of ${limit}`,
          ),
        );
      }
    }
    checkProbe(out, `${at}.readinessProbe`, c.readinessProbe, true);
    checkProbe(out, `${at}.livenessProbe`, c.livenessProbe, false);
    checkProbe(out, `${at}.startupProbe`, c.startupProbe, false);
  });
}

function checkPodSpec(out: Cause[], field: string, spec: PodSpecJson | undefined, template: boolean): void {
  if (!spec) {
    out.push(cause.required(field));
    return;
  }
  checkContainers(out, `${field}.containers`, spec.containers);
  if (template && spec.restartPolicy !== undefined && spec.restartPolicy !== "Always") {
    out.push(cause.notSupported(`${field}.restartPolicy`, spec.restartPolicy, ["Always"]));
  }
  (spec.topologySpreadConstraints ?? []).forEach((t, i) => {
    const at = `${field}.topologySpreadConstraints[${i}]`;
    if (!(typeof t.maxSkew === "number" && t.maxSkew > 0))
      out.push(cause.invalid(`${at}.maxSkew`, t.maxSkew, "must be greater than zero"));
    if (!t.topologyKey) out.push(cause.required(`${at}.topologyKey`, "can not be empty"));
    if (!["DoNotSchedule", "ScheduleAnyway"].includes(t.whenUnsatisfiable as string)) {
      out.push(cause.notSupported(`${at}.whenUnsatisfiable`, t.whenUnsatisfiable, ["DoNotSchedule", "ScheduleAnyway"]));
    }
  });
}

function semantic(kind: string, o: Obj, old: Obj | undefined): Cause[] {
  const out: Cause[] = [];
  const metadata = o.metadata as Partial<ObjectMetaJson> | undefined;
  checkName(out, kind, metadata?.name);
  checkLabels(out, "metadata.labels", metadata?.labels);
  if (kind === "Deployment") {
    const spec = o.spec as DeploymentSpecJson | undefined;
    if (!spec) return [...out, cause.required("spec")];
    if (typeof spec.replicas === "number" && spec.replicas < 0)
      out.push(cause.invalid("spec.replicas", spec.replicas, "must be greater than or equal to 0"));
    const selector = spec.selector;
    if (!selector) out.push(cause.required("spec.selector"));
    else if (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0) {
      out.push(cause.invalid("spec.selector", selector, "empty selector is invalid for deployment"));
    } else {
      checkLabels(out, "spec.selector.matchLabels", selector.matchLabels);
      if (!labelSelectorObject(selector)(spec.template?.metadata?.labels)) {
        out.push(
          cause.invalid(
            "spec.template.metadata.labels",
            spec.template?.metadata?.labels ?? {},
            "`selector` does not match template `labels`",
          ),
        );
      }
    }
    if (
      old &&
      JSON.stringify((old.spec as DeploymentSpecJson | undefined)?.selector) !== JSON.stringify(spec.selector)
    ) {
      out.push(cause.invalid("spec.selector", spec.selector, "field is immutable"));
    }
    checkLabels(out, "spec.template.metadata.labels", spec.template?.metadata?.labels);
    checkPodSpec(out, "spec.template.spec", spec.template?.spec, true);
    if (typeof spec.revisionHistoryLimit === "number" && spec.revisionHistoryLimit < 0) {
      out.push(
        cause.invalid("spec.revisionHistoryLimit", spec.revisionHistoryLimit, "must be greater than or equal to 0"),
      );
    }
  }
  if (kind === "Pod") checkPodSpec(out, "spec", o.spec as PodSpecJson | undefined, false);
  const spec = o.spec as ServiceSpecJson | undefined;
  if (kind === "Service" && spec) {
    const type = spec.type ?? "ClusterIP";
    if (!["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"].includes(type)) {
      out.push(cause.notSupported("spec.type", type, ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]));
    }
    const ports = spec.ports ?? [];
    if (ports.length === 0 && type !== "ExternalName" && spec.clusterIP !== "None")
      out.push(cause.required("spec.ports"));
    const names = new Set<string>();
    ports.forEach((p, i) => {
      const at = `spec.ports[${i}]`;
      if (ports.length > 1 && !p.name) out.push(cause.required(`${at}.name`));
      if (p.name) {
        for (const problem of portNameProblems(p.name)) out.push(cause.invalid(`${at}.name`, p.name, problem));
        if (names.has(p.name)) out.push(cause.duplicate(`${at}.name`, p.name));
        names.add(p.name);
      }
      checkPortNumber(out, `${at}.port`, p.port);
      if (p.protocol !== undefined && !["TCP", "UDP", "SCTP"].includes(p.protocol))
        out.push(cause.notSupported(`${at}.protocol`, p.protocol, ["SCTP", "TCP", "UDP"]));
      if (p.targetPort !== undefined) checkIntOrNamedPort(out, `${at}.targetPort`, p.targetPort);
    });
    checkLabels(out, "spec.selector", spec.selector);
    const oldClusterIP = (old?.spec as ServiceSpecJson | undefined)?.clusterIP;
    if (oldClusterIP && spec.clusterIP && oldClusterIP !== spec.clusterIP) {
      out.push(cause.invalid("spec.clusterIPs[0]", [spec.clusterIP], "may not change once set"));
    }
  }
  return out;
}

// ---------- defaulting ----------

export function applyDefaults<T extends Obj>(kind: string, object: T): T {
  const o: Obj = object;
  const podSpec = (spec: PodSpecJson | undefined) => {
    if (!spec) return;
    spec.restartPolicy ??= "Always";
    spec.dnsPolicy ??= "ClusterFirst";
    spec.schedulerName ??= "default-scheduler";
    spec.terminationGracePeriodSeconds ??= 30;
    spec.securityContext ??= {};
    for (const c of spec.containers ?? []) {
      c.terminationMessagePath ??= "/dev/termination-log";
      c.terminationMessagePolicy ??= "File";
      if (c.image !== undefined)
        c.imagePullPolicy ??= /:latest$/.test(c.image) || !/:[^/]+$/.test(c.image) ? "Always" : "IfNotPresent";
      for (const p of c.ports ?? []) p.protocol ??= "TCP";
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        if (!probe) continue;
        probe.timeoutSeconds ??= 1;
        probe.periodSeconds ??= 10;
        probe.successThreshold ??= 1;
        probe.failureThreshold ??= 3;
        if (probe.httpGet) probe.httpGet.scheme ??= "HTTP";
      }
    }
  };
  if (kind === "Namespace") {
    const metadata = o.metadata as ObjectMetaJson;
    metadata.labels = { ...metadata.labels, "kubernetes.io/metadata.name": metadata.name };
    o.spec ??= { finalizers: ["kubernetes"] };
    o.status ??= { phase: "Active" };
  }
  if (kind === "Deployment" && o.spec) {
    const spec = o.spec as DeploymentSpecJson;
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    spec.strategy ??= { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } };
    podSpec(spec.template?.spec);
  }
  if (kind === "Pod") podSpec(o.spec as PodSpecJson | undefined);
  if (kind === "Service" && o.spec) {
    const spec = o.spec as ServiceSpecJson;
    spec.type ??= "ClusterIP";
    spec.sessionAffinity ??= "None";
    spec.internalTrafficPolicy ??= "Cluster";
    spec.ipFamilyPolicy ??= "SingleStack";
    spec.ipFamilies ??= ["IPv4"];
    for (const p of spec.ports ?? []) {
      p.protocol ??= "TCP";
      p.targetPort ??= p.port;
    }
    o.status ??= { loadBalancer: {} };
  }
  return object;
}

// ---------- loading ----------

/** kubernetes-models is ESM-only with `import` exports: load it with import(), in plain Node (tsx). */
export async function loadSchemas(): Promise<Schemas> {
  const require = createRequire(__filename);
  const [core, apps] = await Promise.all([import("kubernetes-models/v1"), import("kubernetes-models/apps/v1")]);
  // @kubernetes/client-node is a dependency of @hydra/cluster; its models carry the OpenAPI field lists.
  const clientEntry = createRequire(require.resolve("@hydra/cluster/package.json")).resolve("@kubernetes/client-node");
  const models = (await import(pathToFileURL(clientEntry).href)) as Record<string, unknown>;

  const crd = parseYaml(readFileSync(CILIUM_CRD, "utf8")) as CrdJson;
  const version = crd.spec.versions.find((v) => v.name === "v2");
  if (!version) throw new Error(`${CILIUM_CRD} has no v2 version`);
  const cnpSchema = version.schema.openAPIV3Schema;
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false });
  const cnpValidate: ValidateFunction = ajv.compile(cnpSchema);

  const classes: Record<string, new (data: Obj) => { validate(): void }> = {
    Namespace: core.Namespace as never,
    Service: core.Service as never,
    ConfigMap: core.ConfigMap as never,
    Pod: core.Pod as never,
    Deployment: apps.Deployment as never,
  };
  const modelType: Record<string, string> = {
    Namespace: "V1Namespace",
    Service: "V1Service",
    ConfigMap: "V1ConfigMap",
    Pod: "V1Pod",
    Deployment: "V1Deployment",
  };

  return {
    typedProblem(kind, object) {
      if (kind === "CiliumNetworkPolicy") {
        const { metadata, ...rest } = object;
        return (
          walkModel(models, metadata, "V1ObjectMeta", ".metadata") ??
          walkSchema(
            {
              ...cnpSchema,
              properties: {
                ...cnpSchema.properties,
                metadata: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              },
            },
            rest,
            "",
          )
        );
      }
      return walkModel(models, object, modelType[kind]!, "");
    },
    validate(kind, object, old) {
      let causes: Cause[] = [];
      if (kind === "CiliumNetworkPolicy") {
        if (!cnpValidate(object)) causes = causesFromAjv(cnpValidate.errors ?? [], object);
      } else {
        try {
          new classes[kind]!(structuredClone(object)).validate();
        } catch (error) {
          const list = (error as { errors?: ErrorObject[] }).errors;
          if (!list) throw error;
          causes = causesFromAjv(list, object);
        }
      }
      const seen = new Set(causes.map((c) => `${c.field}\u0000${c.message}`));
      for (const c of semantic(kind, object, old)) if (!seen.has(`${c.field}\u0000${c.message}`)) causes.push(c);
      return causes;
    },
  };
}
