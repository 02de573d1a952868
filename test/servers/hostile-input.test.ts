import {
  create,
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescService,
  type MessageInitShape,
  ScalarType,
} from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { createPool, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { DeploymentService, ProjectService } from "@hydra/proto/ctrl/v1";
import {
  file_ctrl_v1_deployment,
  file_ctrl_v1_project,
  file_hydra_v1_deployment,
  file_hydra_v1_routing,
} from "@hydra/proto/files";
import { startService, type ServiceProcess } from "../support/service-process";

// Issue 9: hostile input gets invalid_argument, never internal. Generated from the proto
// descriptors: every method of every hydra.v1 / ctrl.v1 service, every string field reachable
// from its input (nested messages, lists, map keys and values, oneof cases) gets NUL, 64 KiB
// and (hostname fields) junk; every number field its extremes. Each call starts from a valid
// request on real rows, so the hostile field is the only thing wrong with it.

const FILES = [file_hydra_v1_deployment, file_hydra_v1_routing, file_ctrl_v1_project, file_ctrl_v1_deployment];
const ROUTING_SERVICES = new Set(["hydra.v1.RoutingService"]);
const HOSTNAME_FIELDS = new Set([
  "hydra.v1.DomainToAssign.name",
  "hydra.v1.SentinelTarget.service_host",
  "hydra.v1.SentinelTarget.external_address",
]);
const CALL_TIMEOUT_MS = 5_000;

let db: TestDatabase;
let pool: Pool;
let deploySvc: ServiceProcess;
let routingSvc: ServiceProcess;
const sessions: Http2SessionManager[] = [];
let seeds: Record<string, unknown>;

function transport(baseUrl: string): Transport {
  const sessionManager = new Http2SessionManager(baseUrl);
  sessions.push(sessionManager);
  return createConnectTransport({ baseUrl, httpVersion: "2", sessionManager });
}

beforeAll(async () => {
  db = await createTestDatabase("hostile_input");
  pool = createPool(db.url, { max: 2 });
  const env = { DATABASE_URL: db.url, HYDRA_API_TOKEN: "", HYDRA_DEFAULT_DOMAIN: "hydra.test" };
  routingSvc = await startService("routing-svc", { env });
  deploySvc = await startService("deploy-svc", { env: { ...env, ROUTING_SVC_URL: routingSvc.url } });
  const projects = createClient(ProjectService, transport(deploySvc.url));
  const deployments = createClient(DeploymentService, transport(deploySvc.url));
  const { workspaceId } = await projects.createWorkspace({ name: "Acme", slug: "acme" });
  const { projectId, environments } = await projects.createProject({ workspaceId, name: "Web", slug: "web" });
  const { deploymentId } = await deployments.createDeployment({
    projectId,
    environmentSlug: "production",
    branch: "main",
    source: { case: "dockerImage", value: { image: "nginx:1.27" } },
  });
  await waitQuiet(30_000);
  const domains = (await projects.getProject({ projectId })).domains;
  // Field name → a valid value on the rows above (anything else: a plain valid default).
  seeds = {
    workspace_id: workspaceId,
    project_id: projectId,
    environment_id: environments.find((e) => e.slug === "production")!.id,
    deployment_id: deploymentId,
    source_deployment_id: deploymentId,
    target_deployment_id: deploymentId,
    expected_live_deployment_id: deploymentId,
    domain_ids: domains[0]!.id,
    environment_slug: "production",
    branch: "main",
    default_branch: "main",
    commit_sha: "0123456789abcdef0123456789abcdef01234567",
    repository: "acme/web",
    image: "nginx:1.27",
    context_path: ".",
    dockerfile_path: "Dockerfile",
    name: "web-x.hydra.test",
    service_host: "sentinel.ws.svc.cluster.local",
    external_address: "127.0.0.1:8080",
    region: "local",
    slug: "fresh",
    port: 8080,
    service_port: 8080,
    installation_id: 1n,
    timestamp_ms: 1_700_000_000_000n,
    page_size: 10,
    page_token: "",
    after_event_id: "",
  };
}, 90_000);

afterAll(async () => {
  for (const session of sessions) session.abort();
  await Promise.all([deploySvc?.stop(), routingSvc?.stop()]);
  await pool?.end();
  await db?.drop();
});

/** Row counts of every table: equal before and after a refused call, or it wrote something. */
async function rowCounts(): Promise<Record<string, number>> {
  const tables = (
    await pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
  ).rows;
  const sql = tables
    .map((t) => `SELECT '${t.table_name}' AS t, count(*)::int AS n FROM "${t.table_name}"`)
    .join(" UNION ALL ");
  return Object.fromEntries((await pool.query<{ t: string; n: number }>(sql)).rows.map((r) => [r.t, r.n]));
}

/** Until the row counts stop changing (background work of an accepted call has settled). */
async function waitQuiet(deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let last = JSON.stringify(await rowCounts());
  for (let stable = 0; stable < 4;) {
    if (Date.now() > deadline) throw new Error(`tables still changing after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = JSON.stringify(await rowCounts());
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
}

// ---- request generation from descriptors ------------------------------------------------

type Init = Record<string, unknown>;
/** A way to reach one leaf from the request root. */
type Step = { field: DescField; mapKey?: boolean };

function scalarSeed(field: DescField, scalar: ScalarType): unknown {
  const seed = seeds[field.name];
  if (seed !== undefined) return seed;
  switch (scalar) {
    case ScalarType.STRING:
      return "x";
    case ScalarType.BOOL:
      return false;
    case ScalarType.BYTES:
      return new Uint8Array();
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 1n;
    default:
      return 1;
  }
}

function valid(desc: DescMessage, depth = 0): Init {
  const init: Init = {};
  if (depth > 4) return init;
  for (const field of desc.fields) {
    const value = fieldValue(field, depth);
    if (field.oneof) {
      if (init[field.oneof.localName] === undefined) init[field.oneof.localName] = { case: field.localName, value };
    } else {
      init[field.localName] = value;
    }
  }
  return init;
}

function elementValue(field: DescField, depth: number): unknown {
  switch (field.fieldKind) {
    case "scalar":
      return scalarSeed(field, field.scalar);
    case "enum":
      return field.enum.values[1]?.number ?? 0;
    case "message":
      return valid(field.message, depth + 1);
    case "list":
      return field.listKind === "message"
        ? valid(field.message, depth + 1)
        : field.listKind === "enum"
          ? 1
          : scalarSeed(field, field.scalar);
    case "map":
      return field.mapKind === "message"
        ? valid(field.message, depth + 1)
        : field.mapKind === "enum"
          ? 1
          : scalarSeed(field, field.scalar);
  }
}

function fieldValue(field: DescField, depth: number): unknown {
  if (field.fieldKind === "list") return [elementValue(field, depth)];
  if (field.fieldKind === "map") return { [String(seeds.region)]: elementValue(field, depth) };
  return elementValue(field, depth);
}

interface Leaf {
  path: Step[];
  /** The scalar type at the leaf (map keys: their key type); undefined for enums. */
  scalar: ScalarType | undefined;
  fullName: string;
}

function leaves(desc: DescMessage, prefix: Step[] = [], depth = 0): Leaf[] {
  if (depth > 4) return [];
  const out: Leaf[] = [];
  for (const field of desc.fields) {
    const path = [...prefix, { field }];
    const fullName = `${desc.typeName}.${field.name}`;
    if (field.fieldKind === "map")
      out.push({ path: [...prefix, { field, mapKey: true }], scalar: field.mapKey, fullName: `${fullName}[key]` });
    const nested =
      field.fieldKind === "message"
        ? field.message
        : field.fieldKind === "list" && field.listKind === "message"
          ? field.message
          : field.fieldKind === "map" && field.mapKind === "message"
            ? field.message
            : undefined;
    if (nested) out.push(...leaves(nested, path, depth + 1));
    else if (
      field.fieldKind === "enum" ||
      (field.fieldKind === "list" && field.listKind === "enum") ||
      (field.fieldKind === "map" && field.mapKind === "enum")
    )
      out.push({ path, scalar: undefined, fullName });
    else if (field.fieldKind === "scalar" || field.fieldKind === "list" || field.fieldKind === "map")
      out.push({ path, scalar: field.scalar, fullName });
  }
  return out;
}

/** A copy of `root` with the leaf at `path` set to `value` (oneof cases switched to reach it). */
function withLeaf(root: Init, path: Step[], value: unknown, depth = 0): Init {
  const [step, ...rest] = path as [Step, ...Step[]];
  const { field } = step;
  const copy: Init = { ...root };
  const current: unknown = field.oneof
    ? (root[field.oneof.localName] as { case?: string; value?: unknown } | undefined)?.case === field.localName
      ? (root[field.oneof.localName] as { value: unknown }).value
      : fieldValue(field, depth)
    : root[field.localName];
  let next: unknown;
  if (field.fieldKind === "list") {
    const element = (current as unknown[])[0];
    next = [rest.length > 0 ? withLeaf(element as Init, rest, value, depth + 1) : value];
  } else if (field.fieldKind === "map") {
    const [key, element] = Object.entries(current as Init)[0]!;
    if (step.mapKey) next = { [String(value)]: element };
    else next = { [key]: rest.length > 0 ? withLeaf(element as Init, rest, value, depth + 1) : value };
  } else {
    next = rest.length > 0 ? withLeaf(current as Init, rest, value, depth + 1) : value;
  }
  if (field.oneof) copy[field.oneof.localName] = { case: field.localName, value: next };
  else copy[field.localName] = next;
  return copy;
}

interface HostileValue {
  label: string;
  value: unknown;
  /** Must be refused with invalid_argument (strings); numbers may be accepted if in range. */
  mustRefuse: boolean;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const UINT64_MAX = 18446744073709551615n;

function hostileValues(leaf: Leaf): HostileValue[] {
  switch (leaf.scalar) {
    case ScalarType.STRING: {
      const values: HostileValue[] = [
        { label: "NUL", value: "a\u0000b", mustRefuse: true },
        { label: "64 KiB", value: "x".repeat(64 * 1024), mustRefuse: true },
      ];
      if (HOSTNAME_FIELDS.has(leaf.fullName))
        values.push({ label: "non-hostname junk", value: "not a host/!", mustRefuse: true });
      // Ids, cursors and tokens sent as strings end up as Postgres bigints.
      values.push({ label: "decimal beyond bigint", value: "9999999999999999999", mustRefuse: false });
      if (leaf.fullName.endsWith(".page_token")) {
        values.push({
          label: "page token beyond bigint",
          value: Buffer.from("seq:9999999999999999999").toString("base64url"),
          mustRefuse: true,
        });
      }
      return values;
    }
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return [INT64_MAX, INT64_MIN, -1n, 0n].map((value) => ({ label: String(value), value, mustRefuse: false }));
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return [UINT64_MAX, 0n].map((value) => ({ label: String(value), value, mustRefuse: false }));
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return [2147483647, -2147483648, -1, 0].map((value) => ({ label: String(value), value, mustRefuse: false }));
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return [4294967295, 0].map((value) => ({ label: String(value), value, mustRefuse: false }));
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return [Number.NaN, Number.POSITIVE_INFINITY, -Number.MAX_VALUE].map((value) => ({
        label: String(value),
        value,
        mustRefuse: false,
      }));
    case undefined:
      return [2147483647, -1].map((value) => ({ label: `enum ${value}`, value, mustRefuse: false }));
    default:
      return [];
  }
}

interface Case {
  service: DescService;
  method: DescMethod;
  leaf: Leaf;
  hostile: HostileValue;
}

const CASES: Case[] = FILES.flatMap((file) =>
  file.services.flatMap((service) =>
    service.methods.flatMap((method) =>
      leaves(method.input).flatMap((leaf) =>
        hostileValues(leaf).map((hostile) => ({ service, method, leaf, hostile })),
      ),
    ),
  ),
);

async function call(c: Case, request: MessageInitShape<DescMessage>): Promise<{ code: Code | "ok"; message: string }> {
  const baseUrl = ROUTING_SERVICES.has(c.service.typeName) ? routingSvc.url : deploySvc.url;
  const client = createClient(c.service, transport(baseUrl)) as unknown as Record<
    string,
    (req: unknown, options: { signal: AbortSignal }) => unknown
  >;
  const signal = AbortSignal.timeout(CALL_TIMEOUT_MS);
  try {
    const result = client[c.method.localName]!(request, { signal });
    if (c.method.methodKind === "server_streaming") {
      for await (const message of result as AsyncIterable<unknown>) {
        void message;
        break;
      }
    } else {
      await result;
    }
    return { code: "ok", message: "" };
  } catch (error) {
    const { code, rawMessage } = ConnectError.from(error);
    return { code, message: rawMessage };
  }
}

let tried = 0;
afterAll(() => {
  console.log(
    `hostile inputs tried: ${tried} (${CASES.length} cases over ${new Set(CASES.map((c) => c.method.name)).size} methods)`,
  );
});

it("covers every method of every service", () => {
  const methods = new Set(CASES.map((c) => `${c.service.typeName}/${c.method.name}`));
  const all = FILES.flatMap((f) => f.services.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`)));
  expect([...methods].sort()).toEqual(all.sort());
});

it.each(CASES.map((c) => [`${c.service.name}.${c.method.name} ${c.leaf.fullName} = ${c.hostile.label}`, c] as const))(
  "%s",
  async (_, c) => {
    const base = valid(c.method.input);
    const request = create(
      c.method.input,
      withLeaf(base, c.leaf.path, c.hostile.value) as MessageInitShape<DescMessage>,
    );
    const before = await rowCounts();
    const { code, message } = await call(c, request);
    tried++;
    expect(code === Code.Internal || code === Code.Unknown ? `${Code[code]}: ${message}` : "not internal").toBe(
      "not internal",
    );
    if (c.hostile.mustRefuse) {
      expect(code === "ok" ? "ok" : Code[code]).toBe("InvalidArgument");
      // The refusal names the field.
      expect(message).toContain(c.leaf.path[c.leaf.path.length - 1]!.field.name);
    }
    if (code === "ok") await waitQuiet(30_000);
    else expect(await rowCounts()).toEqual(before);
  },
);
