// The client's own policy: auth header, deadline, retries on `unavailable` only and always with
// the same idempotency key. The server here is a real Connect server over h2c whose answers
// the test scripts; routing itself is covered by test/routing against routing-svc.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AssignDomainsResponseSchema, RoutingService, SwitchDomainsResponseSchema } from "@hydra/proto/hydra/v1";
import { createRoutingClient } from "./client";

interface Seen {
  key: string;
  authorization: string | null;
  timeout: string | null;
}

let server: http2.Http2Server;
let baseUrl: string;
let script: Array<Code | "ok" | "hang" | "reset"> = [];
let seen: Seen[] = [];
let resets = 0;

beforeAll(async () => {
  // connect-node reports answering a stream the client already reset ("hang" tests) on console.error.
  jest.spyOn(console, "error").mockImplementation(() => undefined);
  const answer = async (key: string, header: Headers, signal: AbortSignal) => {
    seen.push({ key, authorization: header.get("authorization"), timeout: header.get("connect-timeout-ms") });
    const next = script.shift() ?? "ok";
    if (next === "hang") {
      await new Promise((resolve) => signal.addEventListener("abort", resolve));
      throw new ConnectError("gave up", Code.Canceled);
    }
    if (next !== "ok" && next !== "reset") throw new ConnectError(`scripted ${Code[next]}`, next);
  };
  const handler = connectNodeAdapter({
    routes: (router) =>
      router.service(RoutingService, {
        async assignDomains(request, context) {
          await answer(request.idempotencyKey, context.requestHeader, context.signal);
          return create(AssignDomainsResponseSchema, { routingGeneration: 7n, changedDomainNames: ["a.example.com"] });
        },
        async switchDomains(request, context) {
          await answer(request.idempotencyKey, context.requestHeader, context.signal);
          return create(SwitchDomainsResponseSchema, { routingGeneration: 8n });
        },
      }),
  });
  // "reset" drops the stream before Connect sees it, as a crashing server would.
  server = http2.createServer((request, response) => {
    if (script[0] === "reset") {
      script.shift();
      resets++;
      request.stream.close(http2.constants.NGHTTP2_CANCEL);
      return;
    }
    void handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  script = [];
  seen = [];
  resets = 0;
});

const assignRequest = {
  workspaceId: "ws",
  projectId: "prj",
  environmentId: "env",
  deploymentId: "dep",
  idempotencyKey: "assign:dep",
};

it("sends the bearer token and the deadline", async () => {
  const client = createRoutingClient({ baseUrl, token: "s3cret", timeoutMs: 4_000 });
  try {
    expect((await client.assignDomains(assignRequest)).routingGeneration).toBe(7n);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.authorization).toBe("Bearer s3cret");
    expect(Number(seen[0]!.timeout)).toBeGreaterThan(3_000);
  } finally {
    client.close();
  }
});

it("retries unavailable with the same idempotency key", async () => {
  script = [Code.Unavailable, Code.Unavailable, "ok"];
  const client = createRoutingClient({ baseUrl, backoffMs: 1 });
  try {
    expect(
      (await client.switchDomains({ targetDeploymentId: "dep", idempotencyKey: "switch:1" })).routingGeneration,
    ).toBe(8n);
    expect(seen.map((s) => s.key)).toEqual(["switch:1", "switch:1", "switch:1"]);
  } finally {
    client.close();
  }
});

it("gives up after maxAttempts of unavailable", async () => {
  script = [Code.Unavailable, Code.Unavailable, Code.Unavailable];
  const client = createRoutingClient({ baseUrl, backoffMs: 1, maxAttempts: 2 });
  try {
    await expect(client.assignDomains(assignRequest)).rejects.toMatchObject({ code: Code.Unavailable });
    expect(seen).toHaveLength(2);
  } finally {
    client.close();
  }
});

it.each(
  [
    Code.Aborted,
    Code.FailedPrecondition,
    Code.PermissionDenied,
    Code.InvalidArgument,
    Code.NotFound,
    Code.Internal,
  ].map((c) => [Code[c], c] as const),
)("does not retry %s", async (_name, code) => {
  script = [code, "ok"];
  const client = createRoutingClient({ baseUrl, backoffMs: 1 });
  try {
    await expect(client.assignDomains(assignRequest)).rejects.toMatchObject({ code });
    expect(seen).toHaveLength(1);
  } finally {
    client.close();
  }
});

it("ends a call that outlives its deadline with deadline_exceeded, and does not retry it", async () => {
  script = ["hang"];
  const client = createRoutingClient({ baseUrl, timeoutMs: 200, backoffMs: 1 });
  try {
    await expect(client.assignDomains(assignRequest)).rejects.toMatchObject({ code: Code.DeadlineExceeded });
    expect(seen).toHaveLength(1);
  } finally {
    client.close();
  }
});

it("treats a stream reset it did not ask for as unavailable, and retries it", async () => {
  script = ["reset", "ok"];
  const client = createRoutingClient({ baseUrl, backoffMs: 1 });
  try {
    expect((await client.assignDomains(assignRequest)).routingGeneration).toBe(7n);
    expect(resets).toBe(1);
    expect(seen.map((s) => s.key)).toEqual(["assign:dep"]);
  } finally {
    client.close();
  }
});

it("does not retry when the caller cancels", async () => {
  script = ["hang"];
  const client = createRoutingClient({ baseUrl, backoffMs: 1 });
  const controller = new AbortController();
  try {
    const call = client.assignDomains(assignRequest, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(call).rejects.toMatchObject({ code: Code.Canceled });
    expect(seen).toHaveLength(1);
  } finally {
    client.close();
  }
});

it("refuses a call without an idempotency key before sending it", async () => {
  const client = createRoutingClient({ baseUrl });
  try {
    await expect(client.assignDomains({ ...assignRequest, idempotencyKey: "" })).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
    expect(seen).toHaveLength(0);
  } finally {
    client.close();
  }
});
