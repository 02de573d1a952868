/**
 * A Kubernetes API server stand-in for one region: the REST paths and semantics the cluster
 * driver uses, exactly; nothing else.
 *
 * Resources: v1 namespaces, services, pods; apps/v1 deployments (+ status, scale); cilium.io/v2
 * ciliumnetworkpolicies (+ status). Verbs: get, list, watch, create, update, patch (apply,
 * merge, JSON, strategic-merge approximated as merge with list-map keys), delete. One global
 * resourceVersion; watches replay history from a resourceVersion (ERROR 410 Expired when it
 * is older than the kept history) and send bookmarks; label and field selectors; managedFields
 * and apply conflicts; validation against the real schemas (schema.ts) with the server's
 * Status bodies. Not implemented: dryRun, pagination (limit/continue), deletecollection,
 * finalizers and graceful deletion of anything but pods, namespace termination (instant).
 *
 * Test control (no auth) under /_standin/: kubelet mode, dropping watches, injecting
 * faults (a status), the request log. The driver's handling of the real API server's
 * failure modes (delays, 410 relists, plain-text 404s, many watches) is tested against a real
 * kube-apiserver behind test/kube/fault-proxy.ts instead.
 */
import * as http from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo, Socket } from "node:net";
import { parse as parseYaml } from "yaml";
import { FakeKubelet, type KubeletMode } from "./kubelet";
import { applyDefaults, type Schemas } from "./schema";
import { parseFieldSelector, parseLabelSelector, type Selector } from "./selectors";
import { type Manager, apply, clone, deepEqual, merge, recordUpdate, renderManagedFields } from "./ssa";
import { ApiError, type Status, cause, errors, status } from "./status";

type Obj = Record<string, unknown>;

/** Object metadata as the stand-in keeps it: the fields it reads and writes, and whatever else clients send. */
export interface ObjectMetaJson {
  /** Required of every stored object (validation checks it). */
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid?: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }>;
  managedFields?: unknown[];
  [key: string]: unknown;
}

/** A stored object of any kind: its metadata, and the spec/status fields the server itself reads. */
export interface KubeJson {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMetaJson;
  spec?: {
    replicas?: number;
    selector?: unknown;
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    [key: string]: unknown;
  };
  status?: { replicas?: number; [key: string]: unknown };
  [key: string]: unknown;
}

export interface ResourceDef {
  group: string;
  version: string;
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  subresources: string[];
  /** metadata.generation counts spec changes. */
  generation: boolean;
  shortNames?: string[];
}

export const RESOURCES: ResourceDef[] = [
  {
    group: "",
    version: "v1",
    resource: "namespaces",
    kind: "Namespace",
    singular: "namespace",
    namespaced: false,
    subresources: ["status"],
    generation: false,
    shortNames: ["ns"],
  },
  {
    group: "",
    version: "v1",
    resource: "services",
    kind: "Service",
    singular: "service",
    namespaced: true,
    subresources: ["status"],
    generation: false,
    shortNames: ["svc"],
  },
  {
    group: "",
    version: "v1",
    resource: "configmaps",
    kind: "ConfigMap",
    singular: "configmap",
    namespaced: true,
    subresources: [],
    generation: false,
    shortNames: ["cm"],
  },
  {
    group: "",
    version: "v1",
    resource: "pods",
    kind: "Pod",
    singular: "pod",
    namespaced: true,
    subresources: ["status"],
    generation: false,
    shortNames: ["po"],
  },
  {
    group: "apps",
    version: "v1",
    resource: "deployments",
    kind: "Deployment",
    singular: "deployment",
    namespaced: true,
    subresources: ["status", "scale"],
    generation: true,
    shortNames: ["deploy"],
  },
  {
    group: "cilium.io",
    version: "v2",
    resource: "ciliumnetworkpolicies",
    kind: "CiliumNetworkPolicy",
    singular: "ciliumnetworkpolicy",
    namespaced: true,
    subresources: ["status"],
    generation: true,
    shortNames: ["cnp", "ciliumnp"],
  },
];

export const apiVersionOf = (def: ResourceDef) => (def.group ? `${def.group}/${def.version}` : def.version);
const defByResource = (group: string, version: string, resource: string) =>
  RESOURCES.find((d) => d.group === group && d.version === version && d.resource === resource);
export const defOf = (resource: string) => RESOURCES.find((d) => d.resource === resource)!;

interface Stored {
  def: ResourceDef;
  obj: KubeJson;
  managers: Map<string, Manager>;
}

export interface StoreEvent {
  rv: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  def: ResourceDef;
  obj: KubeJson;
  prev?: KubeJson;
}

interface Watcher {
  def: ResourceDef;
  namespace?: string;
  labels: Selector;
  fields: (o: KubeJson) => boolean;
  res: http.ServerResponse;
  socket: Socket;
  done: () => void;
}

export interface Fault {
  /** Answer with this status (a Status body). */
  status: number;
  reason?: string;
  message?: string;
  count: number;
  method?: string;
  /** Substring of the request path. */
  path?: string;
  retryAfterSeconds?: number;
}

/** The body of a control request: kubelet settings or a fault. */
type ControlInput = Partial<Fault> & { mode?: KubeletMode; readyDelayMs?: number };

export interface LoggedRequest {
  seq: number;
  time: string;
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  userAgent?: string;
  status?: number;
}

export interface ApiServerOptions {
  region: string;
  /** Distinguishes the regions' address ranges: pods 10.(244+index).x.y, services 10.96.index.y. */
  index?: number;
  /** Bearer token required on API requests; undefined: no authentication. */
  token?: string;
  schemas: Schemas;
  readyDelayMs?: number;
  /** Events kept for watches from a resourceVersion; older ones answer 410 Expired. */
  historyLimit?: number;
  bookmarkIntervalMs?: number;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
const keyOf = (def: ResourceDef, namespace: string | undefined, name: string) =>
  `${def.resource}/${def.namespaced ? namespace : ""}/${name}`;

function withoutVolatile(o: KubeJson | undefined): KubeJson | undefined {
  if (!o) return o;
  const c = clone(o);
  delete c.metadata?.managedFields;
  delete c.metadata?.resourceVersion;
  return c;
}

export class ApiServer {
  readonly region: string;
  readonly index: number;
  readonly kubelet: FakeKubelet;
  private readonly schemas: Schemas;
  private readonly token?: string;
  private readonly historyLimit: number;
  private readonly bookmarkIntervalMs: number;
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly objects = new Map<string, Stored>();
  private readonly watchers = new Set<Watcher>();
  private history: StoreEvent[] = [];
  private compactedRv = 0;
  private rv = 1;
  private nextServiceIp = 10;
  private faults: Fault[] = [];
  private seq = 0;
  readonly log: LoggedRequest[] = [];
  port = 0;

  constructor(options: ApiServerOptions) {
    this.region = options.region;
    this.index = options.index ?? 0;
    this.schemas = options.schemas;
    this.token = options.token;
    this.historyLimit = options.historyLimit ?? 10_000;
    this.bookmarkIntervalMs = options.bookmarkIntervalMs ?? 5_000;
    this.kubelet = new FakeKubelet(this, { readyDelayMs: options.readyDelayMs ?? 200 });
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        if (!res.headersSent)
          this.send(res, 500, status(500, "InternalError", `stand-in error: ${(error as Error).stack ?? error}`));
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 65_000;
    this.server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  async start(port = 0, host = "127.0.0.1"): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.kubelet.stop();
    for (const w of this.watchers) w.done();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------- store (also the kubelet's API) ----------

  get resourceVersion(): number {
    return this.rv;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeJson | undefined {
    const s = this.objects.get(keyOf(defOf(resource), namespace, name));
    return s ? clone(s.obj) : undefined;
  }

  list(resource: string, namespace?: string): KubeJson[] {
    const def = defOf(resource);
    return [...this.objects.values()]
      .filter((s) => s.def === def && (!namespace || s.obj.metadata.namespace === namespace))
      .map((s) => clone(s.obj));
  }

  private commit(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    next: KubeJson | undefined,
    managers: Map<string, Manager>,
  ): KubeJson | undefined {
    const key = keyOf(def, namespace, name);
    const before = this.objects.get(key);
    const rv = ++this.rv;
    let event: StoreEvent;
    if (next) {
      next.metadata.resourceVersion = String(rv);
      next.metadata.managedFields = renderManagedFields(managers);
      if (next.metadata.managedFields.length === 0) delete next.metadata.managedFields;
      this.objects.set(key, { def, obj: next, managers });
      event = {
        rv,
        type: before ? "MODIFIED" : "ADDED",
        def,
        obj: clone(next),
        prev: before ? clone(before.obj) : undefined,
      };
    } else {
      if (!before) return undefined;
      this.objects.delete(key);
      const gone = clone(before.obj);
      gone.metadata.resourceVersion = String(rv);
      event = { rv, type: "DELETED", def, obj: gone, prev: clone(before.obj) };
    }
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactedRv = dropped[dropped.length - 1]!.rv;
    }
    for (const w of this.watchers) this.deliver(w, event);
    this.kubelet.observe(event);
    return next;
  }

  /** A write by a controller (kubelet, deployment controller): no validation, ownership recorded as an Update. */
  controllerWrite(
    resource: string,
    namespace: string | undefined,
    name: string,
    mutate: (o: KubeJson) => void,
    manager: string,
    subresource?: "status",
  ): KubeJson | undefined {
    const def = defOf(resource);
    const stored = this.objects.get(keyOf(def, namespace, name));
    if (!stored) return undefined;
    const next = clone(stored.obj);
    mutate(next);
    if (deepEqual(withoutVolatile(next), withoutVolatile(stored.obj))) return stored.obj;
    const managers = recordUpdate({
      kind: def.kind,
      apiVersion: apiVersionOf(def),
      before: stored.obj,
      after: next,
      managers: stored.managers,
      manager,
      subresource,
      scope: subresource === "status" ? "status" : "main",
    });
    return this.commit(def, namespace, name, next, managers);
  }

  controllerCreate(resource: string, object: KubeJson, manager: string): KubeJson {
    const def = defOf(resource);
    const obj = this.initialize(def, clone(object));
    applyDefaults(def.kind, obj);
    const managers = recordUpdate({
      kind: def.kind,
      apiVersion: apiVersionOf(def),
      before: undefined,
      after: obj,
      managers: new Map(),
      manager,
      scope: "main",
    });
    return this.commit(def, obj.metadata.namespace, obj.metadata.name, obj, managers)!;
  }

  controllerDelete(resource: string, namespace: string | undefined, name: string): void {
    this.commit(defOf(resource), namespace, name, undefined, new Map());
  }

  private initialize(def: ResourceDef, obj: KubeJson): KubeJson {
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = now();
    if (def.generation) obj.metadata.generation = 1;
    if (def.kind === "Deployment") obj.status = {};
    if (def.kind === "Pod") obj.status = { phase: "Pending", qosClass: "BestEffort" };
    if (def.kind === "Service" && obj.spec && obj.spec.type !== "ExternalName" && !obj.spec.clusterIP) {
      const n = this.nextServiceIp++;
      obj.spec.clusterIP = `10.96.${this.index % 256}.${(n % 250) + 2}`;
      obj.spec.clusterIPs = [obj.spec.clusterIP];
    }
    if (def.kind === "CiliumNetworkPolicy") delete obj.status;
    return obj;
  }

  // ---------- HTTP ----------

  private send(res: http.ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(code, {
      "Content-Type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json",
      "Content-Length": Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://stand-in");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if (url.pathname.startsWith("/_standin/")) return this.control(req, res, url, body);

    const entry: LoggedRequest = {
      seq: ++this.seq,
      time: new Date().toISOString(),
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers["content-type"],
      userAgent: req.headers["user-agent"],
    };
    this.log.push(entry);
    if (this.log.length > 5_000) this.log.splice(0, this.log.length - 5_000);
    res.on("finish", () => (entry.status = res.statusCode));

    try {
      if (this.token !== undefined && req.headers.authorization !== `Bearer ${this.token}`) throw errors.unauthorized();
      const fault = this.faults.find(
        (f) => f.count > 0 && (!f.method || f.method === req.method) && (!f.path || url.pathname.includes(f.path)),
      );
      if (fault) {
        fault.count--;
        this.faults = this.faults.filter((f) => f.count > 0);
        const headers: Record<string, string> =
          fault.retryAfterSeconds !== undefined ? { "Retry-After": String(fault.retryAfterSeconds) } : {};
        const reason =
          fault.reason ??
          (
            {
              403: "Forbidden",
              404: "NotFound",
              409: "Conflict",
              429: "TooManyRequests",
              500: "InternalError",
              503: "ServiceUnavailable",
              504: "Timeout",
            } as Record<number, string>
          )[fault.status];
        const details =
          fault.retryAfterSeconds !== undefined ? { retryAfterSeconds: fault.retryAfterSeconds } : undefined;
        return this.send(
          res,
          fault.status,
          status(fault.status, reason, fault.message ?? `injected fault ${fault.status}`, details),
          headers,
        );
      }
      await this.route(req, res, url, body);
    } catch (error) {
      if (error instanceof ApiError) return this.send(res, error.status.code, error.status);
      throw error;
    }
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: string): Promise<void> {
    const p = url.pathname.replace(/\/+$/, "");
    const method = req.method ?? "GET";
    if (method === "GET") {
      const discovery = this.discovery(p);
      if (discovery) return this.send(res, 200, discovery);
    }
    const parts = p.split("/").filter(Boolean);
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === "api" && parts[1] === "v1") {
      [group, version, rest] = ["", "v1", parts.slice(2)];
    } else if (parts[0] === "apis" && parts.length >= 3) {
      [group, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
    } else return this.send(res, 404, "404 page not found\n");

    let namespace: string | undefined;
    let resource: string | undefined;
    let name: string | undefined;
    let sub: string | undefined;
    if (rest[0] === "namespaces" && rest.length >= 3 && defByResource(group, version, rest[2]!)?.namespaced) {
      [namespace, resource, name, sub] = [rest[1], rest[2], rest[3], rest[4]];
      if (rest.length > 5) return this.send(res, 404, "404 page not found\n");
    } else {
      [resource, name, sub] = [rest[0], rest[1], rest[2]];
      if (rest.length > 3) return this.send(res, 404, "404 page not found\n");
    }
    const def = resource ? defByResource(group, version, resource) : undefined;
    if (!def) return this.send(res, 404, "404 page not found\n");
    if (sub !== undefined && !def.subresources.includes(sub)) return this.send(res, 404, "404 page not found\n");
    if (name !== undefined) name = decodeURIComponent(name);
    if (namespace !== undefined) namespace = decodeURIComponent(namespace);

    const q = url.searchParams;
    const manager = q.get("fieldManager") || (req.headers["user-agent"] ?? "unknown").split("/")[0]!;

    if (name === undefined) {
      if (method === "GET") {
        if (q.get("watch") === "true" || q.get("watch") === "1") return this.watch(req, res, def, namespace, q);
        return this.send(res, 200, this.listResponse(def, namespace, q));
      }
      if (method === "POST") {
        const obj = this.decodeJson(def, body, q);
        return this.send(res, 201, this.create(def, namespace, obj, manager));
      }
      throw errors.methodNotAllowed();
    }

    switch (method) {
      case "GET": {
        const stored = this.stored(def, namespace, name);
        return this.send(res, 200, sub === "scale" ? this.scaleOf(stored.obj) : stored.obj);
      }
      case "PUT": {
        const obj = this.decodeJson(
          def,
          body,
          q,
          sub === "scale" ? { apiVersion: "autoscaling/v1", kind: "Scale" } : undefined,
        );
        const out = this.update(def, namespace, name, sub, obj, manager);
        return this.send(res, 200, sub === "scale" ? this.scaleOf(out) : out);
      }
      case "PATCH": {
        const contentType = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
        if (contentType === "application/apply-patch+yaml") {
          if (sub) throw errors.methodNotAllowed();
          const { created, obj } = this.applyPatch(def, namespace, name, body, q);
          return this.send(res, created ? 201 : 200, obj);
        }
        if (q.has("force")) {
          throw new ApiError(
            status(
              422,
              "Invalid",
              'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
              {
                group: "meta.k8s.io",
                kind: "PatchOptions",
                causes: [cause.forbidden("force", "may not be specified for non-apply patch")],
              },
            ),
          );
        }
        const out = this.patch(def, namespace, name, sub, contentType, body, manager);
        return this.send(res, 200, sub === "scale" ? this.scaleOf(out) : out);
      }
      case "DELETE": {
        if (sub) throw errors.methodNotAllowed();
        const stored = this.stored(def, namespace, name);
        this.delete(def, namespace, name);
        return this.send(res, 200, {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Success",
          details: {
            name,
            ...(def.group ? { group: def.group } : {}),
            kind: def.resource,
            uid: stored.obj.metadata.uid,
          },
        });
      }
      default:
        throw errors.methodNotAllowed();
    }
  }

  private discovery(p: string): Obj | undefined {
    const resourceList = (group: string, version: string) => ({
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: group ? `${group}/${version}` : version,
      resources: RESOURCES.filter((d) => d.group === group && d.version === version).flatMap((d) => [
        {
          name: d.resource,
          singularName: d.singular,
          namespaced: d.namespaced,
          kind: d.kind,
          verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
          ...(d.shortNames ? { shortNames: d.shortNames } : {}),
        },
        ...d.subresources.map((s) => ({
          name: `${d.resource}/${s}`,
          singularName: "",
          namespaced: d.namespaced,
          ...(s === "scale" ? { group: "autoscaling", version: "v1", kind: "Scale" } : { kind: d.kind }),
          verbs: ["get", "patch", "update"],
        })),
      ]),
    });
    const groups = [...new Set(RESOURCES.filter((d) => d.group).map((d) => `${d.group}/${d.version}`))];
    switch (p) {
      case "/version":
        return { major: "1", minor: "31", gitVersion: "v1.31.0-hydra-standin", platform: "linux/amd64" };
      case "/api":
        return {
          kind: "APIVersions",
          versions: ["v1"],
          serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: `127.0.0.1:${this.port}` }],
        };
      case "/apis":
        return {
          kind: "APIGroupList",
          apiVersion: "v1",
          groups: groups.map((gv) => {
            const [group, version] = gv.split("/");
            return {
              name: group,
              versions: [{ groupVersion: gv, version }],
              preferredVersion: { groupVersion: gv, version },
            };
          }),
        };
      case "/api/v1":
        return resourceList("", "v1");
    }
    const m = p.match(/^\/apis\/([^/]+)\/([^/]+)$/);
    if (m && groups.includes(`${m[1]}/${m[2]}`)) return resourceList(m[1]!, m[2]!);
    return undefined;
  }

  private stored(def: ResourceDef, namespace: string | undefined, name: string): Stored {
    const stored = this.objects.get(keyOf(def, namespace, name));
    if (!stored) throw errors.notFound(def.group, def.resource, name);
    return stored;
  }

  private requireNamespace(def: ResourceDef, namespace: string | undefined): void {
    if (def.namespaced && !this.objects.has(keyOf(defOf("namespaces"), undefined, namespace!))) {
      throw errors.notFound("", "namespaces", namespace!);
    }
  }

  private decodeJson(
    def: ResourceDef,
    body: string,
    q: URLSearchParams,
    expect?: { apiVersion: string; kind: string },
  ): KubeJson {
    let obj: unknown;
    try {
      obj = JSON.parse(body);
    } catch (error) {
      throw errors.badRequest(`the object provided is unrecognized: ${(error as Error).message}`);
    }
    if (typeof obj !== "object" || obj === null || Array.isArray(obj))
      throw errors.badRequest("the object provided is unrecognized (must be of type object)");
    const o = obj as KubeJson;
    const want = expect ?? { apiVersion: apiVersionOf(def), kind: def.kind };
    if (o.kind !== undefined && o.kind !== want.kind)
      throw errors.badRequest(`the kind in the data (${o.kind}) does not match the expected kind (${want.kind})`);
    if (o.apiVersion !== undefined && o.apiVersion !== want.apiVersion) {
      throw errors.badRequest(
        `the API version in the data (${o.apiVersion}) does not match the expected API version (${want.apiVersion})`,
      );
    }
    o.metadata ??= {} as ObjectMetaJson; // without a name, validation rejects it
    if (!expect) {
      const problem = this.schemas.typedProblem(def.kind, { ...o, apiVersion: want.apiVersion, kind: want.kind });
      if (problem) {
        if (/not declared in schema/.test(problem)) {
          if (q.get("fieldValidation") === "Strict")
            throw errors.badRequest(`strict decoding error: unknown field "${problem.split(":")[0]!.slice(1)}"`);
        } else {
          throw errors.badRequest(
            `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: ${problem}`,
          );
        }
      }
    }
    return o;
  }

  private invalidate(def: ResourceDef, obj: KubeJson, old: KubeJson | undefined): void {
    const causes = this.schemas.validate(def.kind, obj, old);
    if (causes.length > 0) throw errors.invalid(def.group, def.kind, obj.metadata?.name ?? "", causes);
  }

  private listResponse(def: ResourceDef, namespace: string | undefined, q: URLSearchParams): Obj {
    const labels = parseLabelSelector(q.get("labelSelector"));
    const fields = parseFieldSelector(q.get("fieldSelector"));
    const items = [...this.objects.values()]
      .filter(
        (s) =>
          s.def === def &&
          (!namespace || s.obj.metadata.namespace === namespace) &&
          labels(s.obj.metadata.labels) &&
          fields(s.obj),
      )
      .map((s) => s.obj)
      .sort((a, b) =>
        `${a.metadata.namespace ?? ""}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace ?? ""}/${b.metadata.name}`,
        ),
      )
      .map((o) => {
        if (def.group === "cilium.io") return o; // unstructured lists keep TypeMeta
        const { apiVersion: _a, kind: _k, ...rest } = o;
        return rest;
      });
    return {
      kind: `${def.kind}List`,
      apiVersion: apiVersionOf(def),
      metadata: { resourceVersion: String(this.rv) },
      items,
    };
  }

  private create(def: ResourceDef, namespace: string | undefined, obj: KubeJson, manager: string): KubeJson {
    if (def.namespaced) {
      if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== namespace) {
        throw errors.badRequest(
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      obj.metadata.namespace = namespace;
    }
    const name = obj.metadata.name;
    if (name && this.objects.has(keyOf(def, namespace, name)))
      throw errors.alreadyExists(def.group, def.resource, name);
    this.requireNamespace(def, namespace);
    delete obj.status;
    delete obj.metadata.resourceVersion;
    delete obj.metadata.managedFields;
    const created = applyDefaults(def.kind, this.initialize(def, obj));
    this.invalidate(def, created, undefined);
    const managers = recordUpdate({
      kind: def.kind,
      apiVersion: apiVersionOf(def),
      before: undefined,
      after: created,
      managers: new Map(),
      manager,
      scope: "main",
    });
    return this.commit(def, namespace, name, created, managers)!;
  }

  private keepSystemMetadata(next: KubeJson, stored: KubeJson): void {
    for (const k of [
      "uid",
      "creationTimestamp",
      "generation",
      "deletionTimestamp",
      "deletionGracePeriodSeconds",
      "name",
      "namespace",
    ]) {
      if (stored.metadata[k] === undefined) delete next.metadata[k];
      else next.metadata[k] = stored.metadata[k];
    }
  }

  private finishWrite(def: ResourceDef, stored: Stored, next: KubeJson, managers: Map<string, Manager>): KubeJson {
    if (def.generation && !deepEqual(stored.obj.spec, next.spec))
      next.metadata.generation = (stored.obj.metadata.generation ?? 0) + 1;
    const unchanged =
      deepEqual(withoutVolatile(next), withoutVolatile(stored.obj)) &&
      deepEqual(renderManagedFields(managers), renderManagedFields(stored.managers));
    if (unchanged) return stored.obj; // a no-op write is not persisted: same resourceVersion
    return this.commit(def, next.metadata.namespace, next.metadata.name, next, managers)!;
  }

  private update(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    sub: string | undefined,
    obj: KubeJson,
    manager: string,
  ): KubeJson {
    const stored = this.stored(def, namespace, name);
    if (obj.metadata?.name !== undefined && obj.metadata.name !== name)
      throw errors.badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`,
      );
    const rv = obj.metadata?.resourceVersion;
    if (rv !== undefined && rv !== "" && rv !== stored.obj.metadata.resourceVersion)
      throw errors.conflict(def.group, def.resource, name);
    let next: KubeJson;
    if (sub === "scale") return this.setReplicas(stored, obj.spec?.replicas, manager);
    if (sub === "status") {
      next = clone(stored.obj);
      next.status = obj.status;
    } else {
      next = clone(obj);
      next.apiVersion = apiVersionOf(def);
      next.kind = def.kind;
      this.keepSystemMetadata(next, stored.obj);
      if (stored.obj.status !== undefined) next.status = clone(stored.obj.status);
      else delete next.status;
      if (def.kind === "Service") {
        next.spec ??= {};
        next.spec.clusterIP ??= stored.obj.spec?.clusterIP;
        next.spec.clusterIPs ??= stored.obj.spec?.clusterIPs;
      }
      applyDefaults(def.kind, next);
      this.invalidate(def, next, stored.obj);
    }
    const managers = recordUpdate({
      kind: def.kind,
      apiVersion: apiVersionOf(def),
      before: stored.obj,
      after: next,
      managers: stored.managers,
      manager,
      subresource: sub,
      scope: sub === "status" ? "status" : "main",
    });
    return this.finishWrite(def, stored, next, managers);
  }

  private patch(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    sub: string | undefined,
    contentType: string,
    body: string,
    manager: string,
  ): KubeJson {
    const stored = this.stored(def, namespace, name);
    const base = sub === "scale" ? this.scaleOf(stored.obj) : clone(stored.obj);
    let patch: unknown;
    try {
      patch = JSON.parse(body);
    } catch (error) {
      throw errors.badRequest(`error decoding patch: ${(error as Error).message}`);
    }
    let patched: KubeJson;
    switch (contentType) {
      case "application/merge-patch+json":
        patched = mergePatch(base, patch) as KubeJson;
        break;
      case "application/json-patch+json":
        patched = jsonPatch(base, patch);
        break;
      case "application/strategic-merge-patch+json":
        if (def.group === "cilium.io") throw errors.unsupportedMediaType(contentType);
        patched = merge(def.kind, base, patch) as KubeJson;
        break;
      default:
        throw errors.unsupportedMediaType(contentType);
    }
    if (sub !== "scale") {
      const problem = this.schemas.typedProblem(def.kind, patched);
      if (problem && !/not declared in schema/.test(problem)) throw errors.badRequest(problem);
    }
    return this.update(def, namespace, name, sub, patched, manager);
  }

  private applyPatch(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    body: string,
    q: URLSearchParams,
  ): { created: boolean; obj: KubeJson } {
    const manager = q.get("fieldManager");
    if (!manager) {
      throw new ApiError(
        status(
          422,
          "Invalid",
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
          {
            group: "meta.k8s.io",
            kind: "PatchOptions",
            causes: [cause.required("fieldManager", "is required for apply patch")],
          },
        ),
      );
    }
    let config: unknown;
    try {
      config = parseYaml(body);
    } catch (error) {
      throw errors.badRequest(`error decoding YAML: ${(error as Error).message}`);
    }
    if (typeof config !== "object" || config === null || Array.isArray(config))
      throw errors.badRequest("the object provided is unrecognized (must be of type object)");
    const cfg = config as KubeJson;
    if (!cfg.kind) throw errors.badRequest(`Object 'Kind' is missing in '${body.slice(0, 200)}'`);
    if (cfg.apiVersion !== apiVersionOf(def)) {
      throw errors.badRequest(
        `the API version in the data (${cfg.apiVersion}) does not match the expected API version (${apiVersionOf(def)})`,
      );
    }
    if (cfg.kind !== def.kind)
      throw errors.badRequest(`the kind in the data (${cfg.kind}) does not match the expected kind (${def.kind})`);
    cfg.metadata ??= {} as ObjectMetaJson; // the name comes from the URL below
    if (cfg.metadata.name !== undefined && cfg.metadata.name !== name)
      throw errors.badRequest(
        `the name of the object (${cfg.metadata.name}) does not match the name on the URL (${name})`,
      );
    if (def.namespaced && cfg.metadata.namespace !== undefined && cfg.metadata.namespace !== namespace) {
      throw errors.badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    if (cfg.metadata.managedFields !== undefined) throw errors.badRequest("metadata.managedFields must be nil");
    const problem = this.schemas.typedProblem(def.kind, cfg);
    if (problem) throw errors.typedPatch(namespace, name, apiVersionOf(def), def.kind, problem);
    this.requireNamespace(def, namespace);

    const { status: _ignored, ...main } = cfg; // status is written through its subresource only
    const stored = this.objects.get(keyOf(def, namespace, name));
    const result = apply({
      kind: def.kind,
      apiVersion: apiVersionOf(def),
      live: stored?.obj,
      managers: stored?.managers ?? new Map(),
      config: main,
      manager,
      force: q.get("force") === "true",
    });
    const next = result.object as KubeJson; // live merged with config: both objects with metadata
    next.apiVersion = apiVersionOf(def);
    next.kind = def.kind;
    next.metadata.name = name;
    if (def.namespaced) next.metadata.namespace = namespace;
    if (!stored) {
      this.initialize(def, next);
      applyDefaults(def.kind, next);
      this.invalidate(def, next, undefined);
      return { created: true, obj: this.commit(def, namespace, name, next, result.managers)! };
    }
    this.keepSystemMetadata(next, stored.obj);
    if (stored.obj.status !== undefined) next.status = clone(stored.obj.status);
    if (def.kind === "Service") {
      next.spec!.clusterIP ??= stored.obj.spec?.clusterIP;
      next.spec!.clusterIPs ??= stored.obj.spec?.clusterIPs;
    }
    applyDefaults(def.kind, next);
    this.invalidate(def, next, stored.obj);
    return { created: false, obj: this.finishWrite(def, stored, next, result.managers) };
  }

  private scaleOf(obj: KubeJson): KubeJson {
    return {
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: {
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
        creationTimestamp: obj.metadata.creationTimestamp,
      },
      spec: { replicas: obj.spec?.replicas ?? 0 },
      status: {
        replicas: obj.status?.replicas ?? 0,
        selector: Object.entries(
          (obj.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels ?? {},
        )
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
      },
    };
  }

  private setReplicas(stored: Stored, replicas: unknown, manager: string): KubeJson {
    const name = stored.obj.metadata.name;
    if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid("autoscaling", "Scale", name, [
        cause.invalid("spec.replicas", replicas, "must be greater than or equal to 0"),
      ]);
    }
    const next = clone(stored.obj);
    next.spec!.replicas = replicas;
    const managers = recordUpdate({
      kind: stored.def.kind,
      apiVersion: apiVersionOf(stored.def),
      before: stored.obj,
      after: next,
      managers: stored.managers,
      manager,
      subresource: "scale",
      scope: "main",
    });
    return this.finishWrite(stored.def, stored, next, managers);
  }

  private delete(def: ResourceDef, namespace: string | undefined, name: string): void {
    if (def.kind === "Namespace") {
      for (const s of [...this.objects.values()]) {
        if (s.def.namespaced && s.obj.metadata.namespace === name)
          this.commit(s.def, name, s.obj.metadata.name, undefined, new Map());
      }
    }
    this.commit(def, namespace, name, undefined, new Map());
  }

  // ---------- watch ----------

  private watch(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    def: ResourceDef,
    namespace: string | undefined,
    q: URLSearchParams,
  ): void {
    const labels = parseLabelSelector(q.get("labelSelector"));
    const fields = parseFieldSelector(q.get("fieldSelector"));
    const rvParam = q.get("resourceVersion") ?? "";
    let from: number | undefined;
    if (rvParam !== "" && rvParam !== "0") {
      from = Number(rvParam);
      if (!Number.isInteger(from) || from < 0)
        throw errors.badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a non-negative integer`);
    }
    res.writeHead(200, {
      "Content-Type": "application/json",
      "Transfer-Encoding": "chunked",
      "Cache-Control": "no-cache, private",
    });
    res.flushHeaders();
    const write = (type: string, object: unknown) => res.write(`${JSON.stringify({ type, object })}\n`);

    if (from !== undefined && from < this.compactedRv) {
      write("ERROR", errors.expired(from, this.rv));
      res.end();
      return;
    }
    const watcher: Watcher = {
      def,
      namespace,
      labels,
      fields,
      res,
      socket: req.socket,
      done: () => {
        clearInterval(bookmarks);
        clearTimeout(timeout);
        this.watchers.delete(watcher);
        if (!res.writableEnded) res.end();
      },
    };
    if (from === undefined) {
      // "Get State and Start at Most Recent": synthetic ADDED events for what exists now.
      for (const s of this.objects.values()) {
        if (this.matches(watcher, s.obj)) write("ADDED", s.obj);
      }
    } else {
      for (const event of this.history) if (event.rv > from) this.deliver(watcher, event);
    }
    this.watchers.add(watcher);
    const bookmarks =
      q.get("allowWatchBookmarks") === "true"
        ? setInterval(
            () =>
              write("BOOKMARK", {
                kind: def.kind,
                apiVersion: apiVersionOf(def),
                metadata: { resourceVersion: String(this.rv) },
              }),
            this.bookmarkIntervalMs,
          )
        : undefined;
    const seconds = Number(q.get("timeoutSeconds") ?? "1800");
    const timeout = setTimeout(() => watcher.done(), Math.max(0, Math.min(seconds, 1800)) * 1000);
    res.on("close", () => watcher.done());
  }

  private matches(w: Watcher, obj: KubeJson | undefined): boolean {
    if (!obj) return false;
    return (!w.namespace || obj.metadata.namespace === w.namespace) && w.labels(obj.metadata.labels) && w.fields(obj);
  }

  private deliver(w: Watcher, event: StoreEvent): void {
    if (event.def !== w.def || w.res.writableEnded) return;
    const now = event.type === "DELETED" ? false : this.matches(w, event.obj);
    const before = event.type === "ADDED" ? false : this.matches(w, event.prev);
    let type: string | undefined;
    if (event.type === "DELETED") type = before ? "DELETED" : undefined;
    else if (now && before) type = "MODIFIED";
    else if (now) type = "ADDED";
    else if (before) type = "DELETED"; // moved out of the selector
    if (type) w.res.write(`${JSON.stringify({ type, object: event.obj })}\n`);
  }

  // ---------- control ----------

  /** Cuts every open watch connection, as a dropped network path would. Returns how many. */
  dropWatches(): number {
    const n = this.watchers.size;
    for (const w of [...this.watchers]) {
      this.watchers.delete(w);
      w.socket.destroy();
    }
    return n;
  }

  addFault(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults = [];
  }

  private async control(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: string): Promise<void> {
    const input = (body ? JSON.parse(body) : {}) as ControlInput;
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case "POST /_standin/kubelet":
        this.kubelet.configure({ mode: input.mode, readyDelayMs: input.readyDelayMs });
        return this.send(res, 200, this.kubelet.settings());
      case "POST /_standin/watches/drop":
        return this.send(res, 200, { dropped: this.dropWatches() });
      case "POST /_standin/faults":
        if (typeof input.status !== "number") return this.send(res, 400, { error: "a fault needs a status" });
        this.addFault({ ...input, status: input.status, count: input.count ?? 1 });
        return this.send(res, 200, { faults: this.faults });
      case "DELETE /_standin/faults":
        this.clearFaults();
        return this.send(res, 200, { faults: [] });
      case "GET /_standin/requests": {
        const after = Number(url.searchParams.get("after") ?? "0");
        return this.send(
          res,
          200,
          this.log.filter((r) => r.seq > after),
        );
      }
      default:
        return this.send(res, 404, { error: `unknown control route ${route}` });
    }
  }
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return clone(patch);
  const out: Obj =
    typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as Obj) } : {};
  for (const [k, v] of Object.entries(patch as Obj)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A JSON object or array, indexed by key or position. */
type JsonContainer = Record<string | number, unknown>;

/** One RFC 6902 operation (`from` for copy and move, `value` for add, replace and test). */
interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

/** RFC 6902 JSON patch: add, remove, replace, test, copy, move. */
export function jsonPatch<T extends Obj>(target: T, ops: unknown): T {
  if (!Array.isArray(ops)) throw errors.badRequest("json patch must be a list of operations");
  const doc = clone(target);
  const parse = (path: string) =>
    path
      .split("/")
      .slice(1)
      .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  const parentOf = (segments: string[]) => {
    let node: unknown = doc;
    for (const s of segments.slice(0, -1)) {
      node = (node as JsonContainer | null | undefined)?.[Array.isArray(node) ? Number(s) : s];
      if (node === undefined) throw errors.badRequest(`json patch: path not found: /${segments.join("/")}`);
    }
    return node;
  };
  const getPath = (path: string) =>
    parse(path).reduce<unknown>((n, s) => (n as JsonContainer | null | undefined)?.[s], doc);
  for (const op of ops as JsonPatchOp[]) {
    const segments = parse(op.path);
    const last = segments[segments.length - 1]!;
    const parent = segments.length ? parentOf(segments) : undefined;
    switch (op.op) {
      case "add":
      case "replace":
      case "copy":
      case "move": {
        const value = op.op === "copy" || op.op === "move" ? clone(getPath(op.from as string)) : clone(op.value);
        if (op.op === "move") {
          const from = parse(op.from as string);
          const fp = parentOf(from);
          if (Array.isArray(fp)) fp.splice(Number(from[from.length - 1]), 1);
          else delete (fp as Obj)[from[from.length - 1]!];
        }
        if (Array.isArray(parent)) {
          const i = last === "-" ? parent.length : Number(last);
          if (op.op === "replace") parent[i] = value;
          else parent.splice(i, 0, value);
        } else (parent as Obj)[last] = value;
        break;
      }
      case "remove":
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete (parent as Obj)[last];
        break;
      case "test":
        if (!deepEqual(getPath(op.path), op.value))
          throw new ApiError(
            status(
              422,
              "Invalid",
              `the server rejected our request due to an error in our request: test failed at ${op.path}`,
            ),
          );
        break;
      default:
        throw errors.badRequest(`json patch: unknown op ${op.op}`);
    }
  }
  return doc;
}

export type { Status };
