/**
 * The sentinel's configuration: a stock nginx (the `nginxinc/nginx-unprivileged` image on a
 * cluster, Debian's `nginx` on one machine) running the config rendered here — the same
 * function for the ConfigMap and for the local sentinel, so what is tested is what runs.
 *
 * A request carrying `X-Hydra-Deployment-Id: dep_…` (set by the frontline) goes to that
 * deployment's Service in the sentinel's namespace, resolved through cluster DNS at request
 * time. The Service name is built from the id and the sentinel's own environment id
 * (deploymentServiceName), so only a well-formed id of its own environment names a Service:
 * a malformed id, a missing header or another environment's deployment is answered 404 with
 * a short plain-text reason. Connection failures are retried on another address for
 * idempotent methods (nginx never retries POST/PATCH/LOCK); a deployment whose Service has no
 * ready endpoint is handed to the activator when one is configured (wake on request).
 */
import { createHash } from "node:crypto";
import { CLUSTER_DOMAIN, deploymentServiceName } from "./names";

/** The header the frontline sets (after stripping the client's copy). */
export const DEPLOYMENT_ID_HEADER = "X-Hydra-Deployment-Id";

/** A deployment id as the sentinel accepts it: TypeID `dep_` + 26 base32 characters. */
export const DEPLOYMENT_ID_PATTERN = "^dep_(?<hydra_suffix>[0-7][0-9a-hjkmnp-tv-z]{25})$";

export const SENTINEL_HEALTH_PATH = "/healthz";

/**
 * The health endpoint names the config it runs (a digest of the rest of it) in this header,
 * so whoever reloads a running sentinel can tell when the new config serves (nginx applies a
 * reload asynchronously: new workers start, old ones finish what they hold).
 */
export const SENTINEL_CONFIG_HEADER = "X-Hydra-Sentinel-Config";
const DIGEST_PLACEHOLDER = "@@hydra-config-digest@@";

/** The digest a rendered config's health endpoint answers with (null for a config not rendered here). */
export function sentinelConfigDigest(config: string): string | null {
  return new RegExp(`add_header ${SENTINEL_CONFIG_HEADER} ([0-9a-f]+) always;`).exec(config)?.[1] ?? null;
}

export interface SentinelConfigInput {
  environmentId: string;
  /** The sentinel's (and its deployments' Services') namespace. */
  namespace: string;
  /** nginx `listen` of the proxy: `8080`, or `127.0.3.1:8080` on one machine. */
  listen: string;
  /** nginx `listen` of the health endpoint (readiness probe) and `stub_status`. */
  healthListen: string;
  /** DNS server(s) for Service names: `kube-dns.kube-system.svc.cluster.local`, or `127.0.0.1:5353`. */
  resolver: string;
  /** How long a resolved Service address is reused (seconds); instances come and go. */
  resolverValidSeconds?: number;
  /** The deployments' Service port (80 on a cluster; the instances' port on one machine). */
  upstreamPort: number;
  /** Default `cluster.local`. */
  clusterDomain?: string;
  /** Default 1; `auto` on a cluster. */
  workerProcesses?: number | "auto";
  /** Writable files and directories (the image runs as an unprivileged user). */
  paths: { pid: string; temp: string; accessLog: string; errorLog: string };
  /**
   * `host:port` of the activator: a request for a deployment that has no ready endpoint (its
   * Service refuses connections, as a Service without endpoints does) is sent there with the
   * deployment id header, to wake it and be answered once it is ready. Absent: 503.
   */
  activator?: string;
}

/**
 * What deploymentServiceName appends to `dep-<suffix>` for this environment: the sentinel
 * builds Service names with it from the ids it is asked for.
 */
function serviceNameSuffix(environmentId: string): string {
  const sample = "01h455vb4pex5vsknk084sn02q";
  const name = deploymentServiceName(`dep_${sample}`, environmentId);
  if (!name.startsWith(`dep-${sample}-`))
    throw new Error(`environment id ${environmentId} does not give Service names the sentinel can build`);
  return name.slice(`dep-${sample}`.length);
}

/** A value nginx reads as one token: quoted, with `"` and `\` escaped. */
function quote(value: string): string {
  if (/[\n\r]/.test(value)) throw new Error(`nginx config value must be one line: ${JSON.stringify(value)}`);
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** nginx.conf of an environment's sentinel: a pure function of its input. */
export function renderSentinelConfig(input: SentinelConfigInput): string {
  const serviceSuffix = serviceNameSuffix(input.environmentId);
  const domain = input.clusterDomain ?? CLUSTER_DOMAIN;
  const valid = input.resolverValidSeconds ?? 1;
  const { paths } = input;
  const header = `$http_${DEPLOYMENT_ID_HEADER.toLowerCase().replace(/-/g, "_")}`;
  const proxy = [
    `proxy_pass http://$hydra_service.${input.namespace}.svc.${domain}:${input.upstreamPort};`,
    "proxy_http_version 1.1;",
    'proxy_set_header Connection "";',
    "proxy_set_header Host $host;",
    "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    "proxy_set_header X-Forwarded-Host $host;",
    "proxy_set_header X-Forwarded-Proto $scheme;",
    // A replica that refuses or does not answer the connection: the next address, for
    // idempotent methods only (nginx's default excludes POST, LOCK and PATCH).
    "proxy_next_upstream error timeout;",
    "proxy_next_upstream_tries 3;",
    "proxy_next_upstream_timeout 10s;",
    "proxy_connect_timeout 2s;",
    "proxy_read_timeout 300s;",
    "proxy_buffering off;",
  ];
  const unavailable = input.activator
    ? [
        // Resolved, so the Service exists, but no endpoint accepted the connection: wake it.
        `proxy_pass http://${input.activator};`,
        "proxy_http_version 1.1;",
        'proxy_set_header Connection "";',
        "proxy_set_header Host $host;",
        `proxy_set_header ${DEPLOYMENT_ID_HEADER} $hydra_deployment;`,
        "proxy_read_timeout 120s;",
        "proxy_buffering off;",
      ]
    : ['return 503 "deployment $hydra_deployment has no ready instance\\n";'];
  const lines = [
    "# Generated by hydra (renderSentinelConfig): the sentinel of one environment.",
    "daemon off;",
    `worker_processes ${input.workerProcesses ?? 1};`,
    `pid ${quote(paths.pid)};`,
    `error_log ${quote(paths.errorLog)} warn;`,
    "events { worker_connections 4096; }",
    "http {",
    `  client_body_temp_path ${quote(`${paths.temp}/client`)};`,
    `  proxy_temp_path ${quote(`${paths.temp}/proxy`)};`,
    `  fastcgi_temp_path ${quote(`${paths.temp}/fastcgi`)};`,
    `  uwsgi_temp_path ${quote(`${paths.temp}/uwsgi`)};`,
    `  scgi_temp_path ${quote(`${paths.temp}/scgi`)};`,
    "  default_type text/plain;",
    "  server_tokens off;",
    "  keepalive_timeout 65s;",
    "  client_max_body_size 0;",
    `  resolver ${input.resolver} valid=${valid}s ipv6=off;`,
    "  resolver_timeout 2s;",
    "  log_format hydra escape=json",
    `    '{"time":"$time_iso8601","deployment_id":"$hydra_deployment","host":"$host","method":"$request_method",'`,
    `    '"uri":"$request_uri","status":$status,"upstream":"$upstream_addr","upstream_status":"$upstream_status",'`,
    `    '"request_time":$request_time,"bytes":$body_bytes_sent}';`,
    `  access_log ${quote(paths.accessLog)} hydra;`,
    "",
    "  # The deployment id as asked; the Service it names only if well-formed (else empty).",
    `  map ${header} $hydra_deployment { default ${header}; }`,
    `  map ${header} $hydra_service {`,
    `    ${quote(`~${DEPLOYMENT_ID_PATTERN}`)} "dep-$hydra_suffix${serviceSuffix}";`,
    '    default "";',
    "  }",
    "",
    "  # A 503 (no ready instance, or the activator's bounded wait ran out) says when to retry.",
    '  map $status $hydra_retry_after { 503 5; default ""; }',
    "",
    "  server {",
    `    listen ${input.listen} reuseport;`,
    "    add_header Retry-After $hydra_retry_after always;",
    "    location / {",
    `      if ($hydra_service = "") { return 404 "no deployment: ${DEPLOYMENT_ID_HEADER} is missing or not a deployment id\\n"; }`,
    ...proxy.map((l) => `      ${l}`),
    "      error_page 502 504 = @unreachable;",
    "    }",
    "    location @unreachable {",
    "      # Resolution failed (no address was tried): no Service of that name in this environment.",
    `      if ($upstream_addr = "") { return 404 "no deployment $hydra_deployment in this environment\\n"; }`,
    ...unavailable.map((l) => `      ${l}`),
    "    }",
    "  }",
    "",
    "  server {",
    `    listen ${input.healthListen};`,
    "    access_log off;",
    `    location = ${SENTINEL_HEALTH_PATH} { add_header ${SENTINEL_CONFIG_HEADER} ${DIGEST_PLACEHOLDER} always; return 200 "ok\\n"; }`,
    "    location = /status { stub_status; }",
    '    location / { return 404 "not found\\n"; }',
    "  }",
    "}",
    "",
  ];
  const text = lines.join("\n");
  const digest = createHash("sha256").update(text).digest("hex").slice(0, 16);
  return text.replace(DIGEST_PLACEHOLDER, digest);
}
