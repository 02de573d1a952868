import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { isId, type Pool } from "@hydra/db";
import { DEPLOYMENT_ID_HEADER as SENTINEL_DEPLOYMENT_ID_HEADER } from "@hydra/cluster/sentinel-config";
import type { WorkflowEngine } from "@hydra/workflow";
import { findDeployment } from "./sql/findDeployment";
import { listInstances } from "./sql/listInstances";
import { requestWake } from "./workflows/wake";

/** The header the sentinel forwards (the frontline's); Node lower-cases header names. */
const DEPLOYMENT_ID_HEADER = SENTINEL_DEPLOYMENT_ID_HEADER.toLowerCase();
/** A request body is held (to retry it on another instance) up to this size. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const RETRY_AFTER_SECONDS = "5";
/** Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-length",
]);

export interface ActivatorOptions {
  pool: Pool;
  /** The engine the wake runs are registered on. */
  engine: WorkflowEngine;
  /** How long a request waits for its deployment to wake before 503 + Retry-After. */
  waitMs: number;
  /** How long the wake run itself may wait for ready instances (HYDRA_READY_TIMEOUT). */
  readyTimeoutMs: number;
  onError?: (error: unknown, deploymentId: string) => void;
}

type WakeOutcome = { ok: true } | { ok: false; status: number; reason: string };

/**
 * The activator (wake on request): a sentinel hands it a request for a deployment that has no
 * ready instance. It wakes the deployment durably (a `wake` run through the workflow engine;
 * concurrent requests for one deployment share one wake), waits at most `waitMs`, then proxies
 * the request to a ready instance — or answers 503 with Retry-After.
 */
export class Activator {
  private server: Server | null = null;
  private readonly waking = new Map<string, Promise<WakeOutcome>>();

  constructor(private readonly options: ActivatorOptions) {}

  /** Listens on `host:port` (port 0 picks one); returns the address sentinels are given. */
  async listen(host: string, port: number): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.options.onError?.(error, String(req.headers[DEPLOYMENT_ID_HEADER] ?? ""));
        if (!res.headersSent) plain(res, 502, "activator: the request could not be served");
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const address = server.address() as AddressInfo;
    return `${address.address}:${address.port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const id = String(req.headers[DEPLOYMENT_ID_HEADER] ?? "");
    if (!isId("deployment", id))
      return plain(res, 404, `no deployment: ${SENTINEL_DEPLOYMENT_ID_HEADER} is missing or not a deployment id`);
    const deployment = await findDeployment(this.options.pool, id);
    if (!deployment) return plain(res, 404, `no deployment ${id}`);
    if (deployment.status !== "ready")
      return plain(res, 503, `deployment ${id} is ${deployment.status}`, RETRY_AFTER_SECONDS);
    const body = await readBody(req);
    if (body === null) return plain(res, 413, `request body larger than ${MAX_BODY_BYTES} bytes`);
    const woken = await this.wake(id);
    if (!woken.ok) return plain(res, woken.status, woken.reason, RETRY_AFTER_SECONDS);
    const instances = (await listInstances(this.options.pool, id)).filter((i) => i.status === "ready");
    for (const instance of instances) {
      if (await forward(req, body, instance.address, res)) return;
    }
    plain(res, 503, `deployment ${id} woke but no instance accepted the request`, RETRY_AFTER_SECONDS);
  }

  /** One wake per deployment at a time in this process (and one run across processes, by the run table). */
  private wake(id: string): Promise<WakeOutcome> {
    let pending = this.waking.get(id);
    if (!pending) {
      pending = this.runWake(id).finally(() => this.waking.delete(id));
      this.waking.set(id, pending);
    }
    return pending;
  }

  private async runWake(id: string): Promise<WakeOutcome> {
    const runId = await requestWake(this.options, id, new Date(Date.now() + this.options.readyTimeoutMs));
    try {
      const outcome = await this.options.engine.result(runId, { timeoutMs: this.options.waitMs, settleOnPause: true });
      if (outcome.status === "completed") return { ok: true };
      return {
        ok: false,
        status: 503,
        reason: `deployment ${id} could not be woken (${outcome.status}): ${outcome.error}`,
      };
    } catch (error) {
      this.options.onError?.(error, id);
      return { ok: false, status: 503, reason: `deployment ${id} is waking up; try again shortly` };
    }
  }
}

function plain(res: ServerResponse, status: number, text: string, retryAfter?: string): void {
  res.writeHead(status, { "content-type": "text/plain", ...(retryAfter ? { "retry-after": retryAfter } : {}) });
  res.end(`${text}\n`);
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Sends the request to one instance and streams its answer back; false if it refused the connection. */
function forward(req: IncomingMessage, body: Buffer, address: string, res: ServerResponse): Promise<boolean> {
  const separator = address.lastIndexOf(":");
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  headers["content-length"] = String(body.length);
  return new Promise((resolve) => {
    const upstream = httpRequest(
      {
        host: address.slice(0, separator).replace(/^\[|\]$/g, ""),
        port: Number(address.slice(separator + 1)),
        method: req.method,
        path: req.url,
        headers,
        timeout: 2_000,
      },
      (answer) => {
        upstream.setTimeout(0);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on("end", () => resolve(true));
        answer.on("error", () => (res.destroy(), resolve(true)));
      },
    );
    upstream.on("timeout", () => upstream.destroy(new Error("connect timeout")));
    upstream.on("error", () => resolve(res.headersSent));
    upstream.end(body);
  });
}
