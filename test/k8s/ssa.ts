/**
 * Server-side apply: field sets per manager (`metadata.managedFields`, FieldsV1), conflicts,
 * merging, and removal of fields an applier stops setting. Lists are atomic except the
 * associative lists (list-map keys) of the built-in types hydra uses; CRD lists are atomic,
 * as Cilium's CRD declares (`x-kubernetes-list-type: atomic`).
 */
import { errors } from "./status";

export type PathElement = string; // "f:<field>" | "k:<json keys>" | "."
export type FieldSet = Set<string>; // JSON-encoded PathElement[]

export interface Manager {
  manager: string;
  operation: "Apply" | "Update";
  subresource?: string;
  apiVersion: string;
  time: string;
  fields: FieldSet;
}

export type Scope = "main" | "status";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
export const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** The list-map keys of a list, by the field names leading to it; undefined: atomic. */
export function listKeys(kind: string, names: string[]): string[] | undefined {
  const last = names[names.length - 1];
  if (names[0] === "metadata") return last === "ownerReferences" ? ["uid"] : undefined;
  if (kind === "CiliumNetworkPolicy") return names[0] === "status" && last === "conditions" ? ["type"] : undefined;
  switch (last) {
    case "containers":
    case "initContainers":
    case "ephemeralContainers":
    case "env":
    case "volumes":
    case "imagePullSecrets":
      return ["name"];
    case "ports":
      return kind === "Service" && names.length === 2 ? ["port", "protocol"] : ["containerPort", "protocol"];
    case "volumeMounts":
      return ["mountPath"];
    case "topologySpreadConstraints":
      return ["topologyKey", "whenUnsatisfiable"];
    case "conditions":
      return ["type"];
    default:
      return undefined;
  }
}

function keyElement(item: unknown, keys: string[], at: string, index: number): PathElement {
  if (!isObject(item))
    throw new TypedError(`${at}: element ${index}: associative list with keys may only contain maps`);
  const key: Record<string, unknown> = {};
  for (const k of [...keys].sort()) {
    if (item[k] === undefined || item[k] === null) {
      throw new TypedError(
        `${at}: element ${index}: associative list with keys has an element that omits key field "${k}" (and doesn't have default value)`,
      );
    }
    key[k] = item[k];
  }
  return `k:${JSON.stringify(key)}`;
}

/** A problem turning an object into its typed form (a 500 "failed to create typed patch object"). */
export class TypedError extends Error {}

/** `.spec.template.spec.containers[name="app"].image` */
export function pathString(path: PathElement[]): string {
  let out = "";
  for (const el of path) {
    if (el.startsWith("f:")) out += `.${el.slice(2)}`;
    else if (el.startsWith("k:")) {
      const key = JSON.parse(el.slice(2)) as Record<string, unknown>;
      out += `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(",")}]`;
    }
  }
  return out;
}

function collect(kind: string, value: unknown, names: string[], path: PathElement[], out: FieldSet): void {
  if (isObject(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined);
    if (keys.length === 0) out.add(JSON.stringify(path));
    for (const k of keys) collect(kind, value[k], [...names, k], [...path, `f:${k}`], out);
    return;
  }
  if (Array.isArray(value)) {
    const keys = listKeys(kind, names);
    if (!keys) {
      out.add(JSON.stringify(path));
      return;
    }
    const seen = new Set<string>();
    value.forEach((item, index) => {
      const el = keyElement(item, keys, pathString(path), index);
      if (seen.has(el)) throw new TypedError(`${pathString(path)}: duplicate entries for key ${pathString([el])}`);
      seen.add(el);
      out.add(JSON.stringify([...path, el, "."]));
      for (const k of Object.keys(item as object)) {
        if ((item as Record<string, unknown>)[k] !== undefined)
          collect(kind, (item as Record<string, unknown>)[k], [...names, k], [...path, el, `f:${k}`], out);
      }
    });
    return;
  }
  out.add(JSON.stringify(path));
}

const MANAGED_METADATA = ["labels", "annotations", "ownerReferences", "finalizers"];

/** The fields an object sets, in the scope of the main resource (all but status) or its status. */
export function fieldSet(kind: string, object: Record<string, unknown>, scope: Scope): FieldSet {
  const out: FieldSet = new Set();
  if (scope === "status") {
    if (object.status !== undefined) collect(kind, object.status, ["status"], ["f:status"], out);
    return out;
  }
  for (const [k, v] of Object.entries(object)) {
    if (v === undefined || k === "apiVersion" || k === "kind" || k === "status") continue;
    if (k === "metadata") {
      const metadata = v as Record<string, unknown> | null;
      for (const m of MANAGED_METADATA)
        if (metadata?.[m] !== undefined) collect(kind, metadata[m], ["metadata", m], ["f:metadata", `f:${m}`], out);
      continue;
    }
    collect(kind, v, [k], [`f:${k}`], out);
  }
  return out;
}

function findItem(list: unknown[], el: PathElement): number {
  const key = JSON.parse(el.slice(2)) as Record<string, unknown>;
  return list.findIndex((item) => isObject(item) && Object.entries(key).every(([k, v]) => deepEqual(item[k], v)));
}

export function getAt(object: unknown, path: PathElement[]): unknown {
  let node: unknown = object;
  for (const el of path) {
    if (el === ".") return node;
    if (el.startsWith("f:")) node = isObject(node) ? node[el.slice(2)] : undefined;
    else node = Array.isArray(node) ? node[findItem(node, el)] : undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

function removeAt(object: Record<string, unknown>, path: PathElement[]): void {
  const last = path[path.length - 1]!;
  if (last === ".") {
    const list = getAt(object, path.slice(0, -2));
    if (Array.isArray(list)) {
      const i = findItem(list, path[path.length - 2]!);
      if (i >= 0) list.splice(i, 1);
    }
    return;
  }
  const parent = getAt(object, path.slice(0, -1));
  if (isObject(parent)) delete parent[last.slice(2)];
}

/** Merge an applied configuration into the live object (associative lists by key, the rest replaced). */
export function merge(kind: string, live: unknown, config: unknown, names: string[] = []): unknown {
  if (isObject(config)) {
    const out: Record<string, unknown> = isObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(config)) {
      if (v === undefined) continue;
      out[k] = merge(kind, out[k], v, [...names, k]);
    }
    return out;
  }
  if (Array.isArray(config)) {
    const keys = listKeys(kind, names);
    if (!keys || !Array.isArray(live)) return clone(config);
    const out = live.map(clone);
    config.forEach((item, index) => {
      const i = findItem(out, keyElement(item, keys, names.join("."), index));
      if (i >= 0) out[i] = merge(kind, out[i], item, names);
      else out.push(clone(item));
    });
    return out;
  }
  return config;
}

export function managerKey(m: Pick<Manager, "manager" | "operation" | "subresource">): string {
  return `${m.manager}\u0000${m.operation}\u0000${m.subresource ?? ""}`;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

/**
 * Server-side apply of `config` by `manager` onto `live` (undefined: create). Returns the new
 * object (before defaulting and validation) and the new managers; throws a 409 on conflicts
 * without force.
 */
export function apply(input: {
  kind: string;
  apiVersion: string;
  live: Record<string, unknown> | undefined;
  managers: Map<string, Manager>;
  config: Record<string, unknown>;
  manager: string;
  force: boolean;
}): { object: Record<string, unknown>; managers: Map<string, Manager> } {
  const { kind, apiVersion, config } = input;
  const live = input.live ?? {};
  const newSet = fieldSet(kind, config, "main");
  const self = managerKey({ manager: input.manager, operation: "Apply" });
  const managers = new Map([...input.managers].map(([k, m]) => [k, { ...m, fields: new Set(m.fields) }]));

  const conflicts: Array<{ manager: string; apiVersion: string; field: string; path: string }> = [];
  for (const p of newSet) {
    const path = JSON.parse(p) as PathElement[];
    for (const [k, m] of managers) {
      if (k === self || !m.fields.has(p)) continue;
      if (!deepEqual(getAt(live, path), getAt(config, path))) {
        conflicts.push({ manager: m.manager, apiVersion: m.apiVersion, field: pathString(path), path: p });
      }
    }
  }
  if (conflicts.length > 0 && !input.force) throw errors.applyConflict(conflicts);
  for (const c of conflicts) for (const m of managers.values()) if (m.manager === c.manager) m.fields.delete(c.path);

  const object = clone(live);
  const previous = managers.get(self)?.fields ?? new Set<string>();
  const removed = [...previous]
    .filter((p) => !newSet.has(p) && ![...managers].some(([k, m]) => k !== self && m.fields.has(p)))
    .map((p) => JSON.parse(p) as PathElement[])
    .sort((a, b) => b.length - a.length);
  for (const path of removed) removeAt(object, path);

  const merged = merge(kind, object, config) as Record<string, unknown>;
  const before = managers.get(self);
  managers.set(self, {
    manager: input.manager,
    operation: "Apply",
    apiVersion,
    time: before && sameSet(before.fields, newSet) ? before.time : now(),
    fields: newSet,
  });
  for (const [k, m] of managers) if (m.fields.size === 0) managers.delete(k);
  return { object: merged, managers };
}

function sameSet(a: FieldSet, b: FieldSet): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

/** Ownership after a non-apply write (create, update, patch, status, scale): changed fields move to the writer. */
export function recordUpdate(input: {
  kind: string;
  apiVersion: string;
  before: Record<string, unknown> | undefined;
  after: Record<string, unknown>;
  managers: Map<string, Manager>;
  manager: string;
  subresource?: string;
  scope: Scope;
}): Map<string, Manager> {
  const { kind } = input;
  const beforeSet = input.before ? fieldSet(kind, input.before, input.scope) : new Set<string>();
  const afterSet = fieldSet(kind, input.after, input.scope);
  const changed = [...new Set([...beforeSet, ...afterSet])].filter((p) => {
    const path = JSON.parse(p) as PathElement[];
    return !deepEqual(getAt(input.before, path), getAt(input.after, path));
  });
  if (changed.length === 0) return input.managers;
  const self = managerKey({ manager: input.manager, operation: "Update", subresource: input.subresource });
  const managers = new Map([...input.managers].map(([k, m]) => [k, { ...m, fields: new Set(m.fields) }]));
  for (const [k, m] of managers) if (k !== self) for (const p of changed) m.fields.delete(p);
  const mine = managers.get(self)?.fields ?? new Set<string>();
  for (const p of changed) {
    if (afterSet.has(p)) mine.add(p);
    else mine.delete(p);
  }
  managers.set(self, {
    manager: input.manager,
    operation: "Update",
    ...(input.subresource ? { subresource: input.subresource } : {}),
    apiVersion: input.apiVersion,
    time: now(),
    fields: mine,
  });
  for (const [k, m] of managers) if (m.fields.size === 0) managers.delete(k);
  return managers;
}

/** `metadata.managedFields` as the server renders it. */
export function renderManagedFields(managers: Map<string, Manager>): Array<Record<string, unknown>> {
  return [...managers.values()].map((m) => {
    const fieldsV1: Record<string, unknown> = {};
    for (const p of [...m.fields].sort()) {
      // A tree of plain objects: every node below fieldsV1 is created here as `{}`.
      let node = fieldsV1;
      for (const el of JSON.parse(p) as PathElement[]) node = (node[el] ??= {}) as Record<string, unknown>;
    }
    return {
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      time: m.time,
      fieldsType: "FieldsV1",
      fieldsV1,
      ...(m.subresource ? { subresource: m.subresource } : {}),
    };
  });
}
